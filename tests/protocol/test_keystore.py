"""EIP-2335 keystores: the official scrypt test vector, round trips, wrong passphrases and
malformed files."""

from __future__ import annotations

import copy

import pytest

from protocol.bls import get_backend
from protocol.keystore import (
    KeystoreError,
    WrongPassphrase,
    decrypt_secret,
    decrypt_share,
    encrypt_share,
    normalize_password,
)

B = get_backend()

# EIP-2335, "Test Cases: Scrypt".
EIP2335_SCRYPT = {
    "crypto": {
        "kdf": {"function": "scrypt", "params": {
            "dklen": 32, "n": 262144, "p": 1, "r": 8,
            "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"},
            "message": ""},
        "checksum": {"function": "sha256", "params": {},
                     "message": "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484"},
        "cipher": {"function": "aes-128-ctr", "params": {"iv": "264daa3f303d7259501c93d997d84fe6"},
                   "message": "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f"},
    },
    "description": "This is a test keystore that uses scrypt to secure the secret.",
    "pubkey": ("9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb"
               "32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07"),
    "path": "m/12381/60/3141592653/589793238",
    "uuid": "1d85ae20-35c5-4611-98e8-aa14a633906f",
    "version": 4,
}
EIP2335_PASSWORD = ("\U0001d531\U0001d522\U0001d530\U0001d531\U0001d52d\U0001d51e\U0001d530"
                    "\U0001d530\U0001d534\U0001d52c\U0001d52f\U0001d521\U0001f511")
EIP2335_SECRET = 0x000000000019D6689C085AE165831E934FF763AE46A2A6C172B3F1B60A8CE26F


def test_official_scrypt_vector():
    secret = decrypt_secret(EIP2335_SCRYPT, EIP2335_PASSWORD)
    assert secret == EIP2335_SECRET
    assert B.sk_to_pk(secret).hex() == EIP2335_SCRYPT["pubkey"]
    assert normalize_password(EIP2335_PASSWORD) == "testpassword🔑".encode()


def test_round_trip_with_guardian_extension():
    ks = encrypt_share(123456789, "correct horse", index=3, epoch=2, backend=B, kdf_n=2**10)
    assert ks["version"] == 4 and ks["guardian"] == {"index": 3, "epoch": 2}
    assert decrypt_share(ks, "correct horse", B) == (3, 123456789)
    assert "123456789" not in str(ks) and hex(123456789)[2:] not in str(ks)


def test_wrong_passphrase():
    ks = encrypt_share(42, "right", index=1, epoch=1, backend=B, kdf_n=2**10)
    with pytest.raises(WrongPassphrase):
        decrypt_share(ks, "wrong")


@pytest.mark.parametrize("path,value,match", [
    (("version",), 3, "version 4"),
    (("crypto", "kdf", "function"), "pbkdf2", "scrypt"),
    (("crypto", "kdf", "params", "n"), 2**30, "range"),
    (("crypto", "kdf", "params", "n"), "big", "integer"),
    (("crypto", "cipher", "params", "iv"), "zz", "not hex"),
    (("crypto", "cipher", "message"), "00", "length"),
    (("guardian",), None, "guardian"),
    (("pubkey",), "00" * 48, "pubkey"),
])
def test_malformed_keystores(path, value, match):
    ks = copy.deepcopy(encrypt_share(7, "pw", index=1, epoch=1, backend=B, kdf_n=2**10))
    target = ks
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(KeystoreError, match=match):
        decrypt_share(ks, "pw", B)


def test_weak_kdf_refused():
    with pytest.raises(KeystoreError):
        encrypt_share(7, "pw", index=1, epoch=1, backend=B, kdf_n=16)
