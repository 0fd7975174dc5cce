"""Keystores for a guardian's BLS share: EIP-2335 (version 4), pure functions.

A keystore is the JSON object of EIP-2335 with scrypt as KDF, a SHA-256 checksum and AES-128-CTR:

    decryption_key = scrypt(password, salt, n, r=8, p=1, dklen=32)
    cipher         = AES-128-CTR(key=decryption_key[:16], iv, secret as 32 bytes big-endian)
    checksum       = SHA-256(decryption_key[16:32] || cipher)

where `password` is the passphrase NFKD-normalised with control characters removed (C0, C1,
DEL), UTF-8 encoded. A wrong passphrase shows as a checksum mismatch (`WrongPassphrase`). We add
one field EIP-2335 allows tools to add: `"guardian": {"index": i, "epoch": e}`, which guardian of
which key epoch the share belongs to. Writing the file with owner-only permissions is the job of
`node.keys`; this module does no I/O.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from protocol.bls import CURVE_ORDER, Backend
from protocol.errors import ProtocolError

DEFAULT_KDF_N = 2**18
MIN_KDF_N = 2**10  # refuse keystores so weak they protect nothing
MAX_KDF_MEMORY = 2**30  # bytes scrypt may take (128 * r * n): the default needs 256 MiB
VERSION = 4


class KeystoreError(ProtocolError):
    """The keystore is malformed or does not match what it claims."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not open this keystore."""


def normalize_password(password: str) -> bytes:
    text = unicodedata.normalize("NFKD", password)
    kept = "".join(c for c in text if not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F))
    return kept.encode("utf-8")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(normalize_password(password), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=256 * r * n + 2**24)


def _aes_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def encrypt_share(secret: int, passphrase: str, *, index: int, epoch: int, backend: Backend,
                  kdf_n: int = DEFAULT_KDF_N, salt: bytes | None = None,
                  iv: bytes | None = None, description: str = "") -> dict[str, Any]:
    if not 0 < secret < CURVE_ORDER:
        raise KeystoreError("secret out of range")
    if kdf_n < MIN_KDF_N or kdf_n & (kdf_n - 1):
        raise KeystoreError(f"scrypt n must be a power of two >= {MIN_KDF_N}")
    salt = salt if salt is not None else os.urandom(32)
    iv = iv if iv is not None else os.urandom(16)
    key = _scrypt(passphrase, salt, kdf_n, 8, 1, 32)
    cipher = _aes_ctr(key[:16], iv, secret.to_bytes(32, "big"))
    checksum = hashlib.sha256(key[16:32] + cipher).digest()
    return {
        "crypto": {
            "kdf": {"function": "scrypt", "params": {"dklen": 32, "n": kdf_n, "p": 1, "r": 8,
                                                     "salt": salt.hex()}, "message": ""},
            "checksum": {"function": "sha256", "params": {}, "message": checksum.hex()},
            "cipher": {"function": "aes-128-ctr", "params": {"iv": iv.hex()},
                       "message": cipher.hex()},
        },
        "description": description,
        "pubkey": backend.sk_to_pk(secret).hex(),
        "path": "",
        "uuid": str(uuid.uuid4()),
        "version": VERSION,
        "guardian": {"index": index, "epoch": epoch},
    }


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            raise KeystoreError(f"keystore: missing field {'.'.join(path)}")
        obj = obj[key]
    return obj


def _hex(obj: Any, *path: str) -> bytes:
    value = _get(obj, *path)
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError) as exc:
        raise KeystoreError(f"keystore: {'.'.join(path)} is not hex") from exc


def _int(obj: Any, *path: str) -> int:
    value = _get(obj, *path)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise KeystoreError(f"keystore: {'.'.join(path)} must be a non-negative integer")
    return value


def kdf_params(keystore: dict[str, Any]) -> tuple[int, int, int]:
    """The keystore's scrypt (n, r, p), checked to be within the accepted range."""
    n = _int(keystore, "crypto", "kdf", "params", "n")
    r = _int(keystore, "crypto", "kdf", "params", "r")
    p = _int(keystore, "crypto", "kdf", "params", "p")
    dklen = _int(keystore, "crypto", "kdf", "params", "dklen")
    if n < MIN_KDF_N or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16 \
            or dklen != 32:
        raise KeystoreError("keystore: scrypt parameters out of the accepted range")
    if 128 * r * n > MAX_KDF_MEMORY:  # e.g. n = 2^20 with r = 32 would take 4 GiB
        raise KeystoreError(f"keystore: scrypt n = {n}, r = {r} needs more than "
                            f"{MAX_KDF_MEMORY >> 20} MiB")
    return n, r, p


def decrypt_secret(keystore: dict[str, Any], passphrase: str) -> int:
    """The secret of an EIP-2335 scrypt/aes-128-ctr keystore."""
    if _get(keystore, "version") != VERSION:
        raise KeystoreError("keystore: only EIP-2335 version 4 is supported")
    if _get(keystore, "crypto", "kdf", "function") != "scrypt":
        raise KeystoreError("keystore: only the scrypt KDF is supported")
    if _get(keystore, "crypto", "cipher", "function") != "aes-128-ctr":
        raise KeystoreError("keystore: only the aes-128-ctr cipher is supported")
    if _get(keystore, "crypto", "checksum", "function") != "sha256":
        raise KeystoreError("keystore: only the sha256 checksum is supported")
    n, r, p = kdf_params(keystore)
    salt = _hex(keystore, "crypto", "kdf", "params", "salt")
    iv = _hex(keystore, "crypto", "cipher", "params", "iv")
    cipher = _hex(keystore, "crypto", "cipher", "message")
    checksum = _hex(keystore, "crypto", "checksum", "message")
    if len(iv) != 16 or len(cipher) != 32 or len(checksum) != 32:
        raise KeystoreError("keystore: iv, cipher or checksum has the wrong length")
    key = _scrypt(passphrase, salt, n, r, p, 32)
    if hashlib.sha256(key[16:32] + cipher).digest() != checksum:
        raise WrongPassphrase("wrong passphrase for this keystore")
    secret = int.from_bytes(_aes_ctr(key[:16], iv, cipher), "big")
    if not 0 < secret < CURVE_ORDER:
        raise KeystoreError("keystore: decrypted secret is out of range")
    return secret


def decrypt_share(keystore: dict[str, Any], passphrase: str,
                  backend: Backend | None = None) -> tuple[int, int]:
    """(guardian index, secret share); checks the public key matches when a backend is given."""
    index = _int(keystore, "guardian", "index")
    _int(keystore, "guardian", "epoch")
    secret = decrypt_secret(keystore, passphrase)
    if backend is not None and backend.sk_to_pk(secret) != _hex(keystore, "pubkey"):
        raise KeystoreError("keystore: pubkey does not match the decrypted secret")
    return index, secret


def share_epoch(keystore: dict[str, Any]) -> int:
    return _int(keystore, "guardian", "epoch")
