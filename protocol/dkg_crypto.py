"""Share encryption for the DKG: each share is encrypted to its recipient's X25519 key, so deals
can be broadcast to everyone, and a complaint can be judged by everyone.

Construction (one fresh ephemeral X25519 key per dealer and recipient):

    shared     = X25519(e, R)                  e: the dealer's ephemeral secret for this recipient
                                               R: the recipient's X25519 key from the ceremony
    binding    = DOMAIN || ceremony_id (32) || dealer (u16) || recipient (u16) || E || R
                                               E = X25519(e, 9), broadcast in the deal
    key        = HKDF-SHA256(ikm=shared, salt=none, info=binding, 32 bytes)
    ciphertext = ChaCha20-Poly1305(key, nonce=0^12, plaintext=share as 32 bytes big-endian,
                                   aad=binding)              -> 48 bytes

A key is used for exactly one message (the ephemeral key is fresh per recipient), so the
all-zero nonce is safe. Binding ceremony, dealer and recipient stops a ciphertext from being
replayed into another ceremony or slot.

Public judging: when recipient j complains, the dealer reveals e for j. Anyone checks
X25519(e, 9) == E from the deal, recomputes the key from X25519(e, R_j) and opens the very
ciphertext that was broadcast: the share it holds either verifies against the dealer's
commitments (the complaint was false) or not (the dealer cheated). Revealing e discloses only
the complainer's share from that dealer, which the complainer knows anyway.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from protocol.bls import CURVE_ORDER
from protocol.dkg_errors import ShareDecryptionError
from protocol.dkg_keys import KEY_BYTES, x25519_public

DOMAIN = b"GUARDIAN-NETWORK-V1-DKG-SHARE"
CIPHERTEXT_BYTES = 48
_NONCE = bytes(12)


def _binding(ceremony_id: bytes, dealer: int, recipient: int, ephemeral_key: bytes,
             recipient_key: bytes) -> bytes:
    return (DOMAIN + ceremony_id + dealer.to_bytes(2, "big") + recipient.to_bytes(2, "big")
            + ephemeral_key + recipient_key)


def _aead(shared: bytes, binding: bytes) -> ChaCha20Poly1305:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=binding).derive(shared)
    return ChaCha20Poly1305(key)


def _exchange(secret: bytes, public: bytes) -> bytes:
    try:
        return X25519PrivateKey.from_private_bytes(secret).exchange(
            X25519PublicKey.from_public_bytes(public))
    except (ValueError, TypeError) as exc:  # e.g. a low-order public key (all-zero secret)
        raise ShareDecryptionError(f"X25519 exchange failed: {exc}") from exc


def encrypt_share(ceremony_id: bytes, dealer: int, recipient: int, share: int,
                  recipient_key: bytes, ephemeral_secret: bytes) -> tuple[bytes, bytes]:
    """(E, ciphertext): `share` encrypted to `recipient_key` with the given ephemeral secret."""
    ephemeral_key = x25519_public(ephemeral_secret)
    binding = _binding(ceremony_id, dealer, recipient, ephemeral_key, recipient_key)
    aead = _aead(_exchange(ephemeral_secret, recipient_key), binding)
    return ephemeral_key, aead.encrypt(_NONCE, share.to_bytes(32, "big"), binding)


def _open(shared: bytes, binding: bytes, ciphertext: bytes) -> int:
    if len(ciphertext) != CIPHERTEXT_BYTES:
        raise ShareDecryptionError(f"ciphertext must be {CIPHERTEXT_BYTES} bytes")
    try:
        plain = _aead(shared, binding).decrypt(_NONCE, ciphertext, binding)
    except InvalidTag as exc:
        raise ShareDecryptionError("ciphertext does not authenticate") from exc
    value = int.from_bytes(plain, "big")
    if not 0 < value < CURVE_ORDER:
        raise ShareDecryptionError("decrypted share is not a scalar in [1, r)")
    return value


def decrypt_share(ceremony_id: bytes, dealer: int, recipient: int, ephemeral_key: bytes,
                  ciphertext: bytes, recipient_secret: bytes) -> int:
    """The recipient's own decryption. Raises ShareDecryptionError."""
    binding = _binding(ceremony_id, dealer, recipient, ephemeral_key,
                       x25519_public(recipient_secret))
    return _open(_exchange(recipient_secret, ephemeral_key), binding, ciphertext)


def open_revealed(ceremony_id: bytes, dealer: int, recipient: int, ephemeral_secret: bytes,
                  ephemeral_key: bytes, recipient_key: bytes, ciphertext: bytes) -> int:
    """Anyone's decryption from a revealed ephemeral secret: checks that it belongs to the
    broadcast E, then opens the broadcast ciphertext. Raises ShareDecryptionError."""
    if len(ephemeral_secret) != KEY_BYTES or x25519_public(ephemeral_secret) != ephemeral_key:
        raise ShareDecryptionError("revealed secret does not match the deal's ephemeral key")
    binding = _binding(ceremony_id, dealer, recipient, ephemeral_key, recipient_key)
    return _open(_exchange(ephemeral_secret, recipient_key), binding, ciphertext)


def derive_secret(seed: bytes, label: bytes, index: int) -> bytes:
    """32 secret bytes derived from a session seed (the dealer's polynomial coefficients and
    ephemeral keys), so that a restarted dealer re-creates byte-identical messages."""
    return hashlib.sha512(b"GUARDIAN-NETWORK-V1-DKG-SEED" + seed + label
                          + index.to_bytes(4, "big")).digest()[:32]


def derive_scalar(seed: bytes, label: bytes, index: int) -> int:
    """A scalar in [1, r) derived from the seed (512 bits reduced, negligible bias)."""
    counter = 0
    while True:
        digest = hashlib.sha512(b"GUARDIAN-NETWORK-V1-DKG-SCALAR" + seed + label
                                + index.to_bytes(4, "big") + counter.to_bytes(4, "big")).digest()
        value = int.from_bytes(digest, "big") % CURVE_ORDER
        if value:
            return value
        counter += 1


__all__ = ["CIPHERTEXT_BYTES", "decrypt_share", "derive_scalar", "derive_secret",
           "encrypt_share", "open_revealed"]
