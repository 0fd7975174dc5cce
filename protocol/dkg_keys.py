"""A participant's ceremony keys: an X25519 key (shares are encrypted to it) and an Ed25519 key
(every ceremony message it sends is signed with it, so misbehaviour is provable to third
parties). Both are fresh per participant and separate from its libp2p identity and BLS share.

The file form (`to_json`) holds the two 32-byte private keys in hex; the runner writes it with
mode 0600. Pure: generation draws from the OS unless a `random.Random` is given (tests only).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocol.dkg_errors import KeyFileError

KEY_BYTES = 32
SIGNATURE_BYTES = 64
KEY_FILE_VERSION = 1
SIGNING_DOMAIN = b"GUARDIAN-NETWORK-V1-DKG-MESSAGE"


def _raw_public(key) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def x25519_public(private: bytes) -> bytes:
    """The X25519 public key of 32 private bytes (clamped as RFC 7748 says)."""
    return _raw_public(X25519PrivateKey.from_private_bytes(private).public_key())


def ed25519_public(private: bytes) -> bytes:
    return _raw_public(Ed25519PrivateKey.from_private_bytes(private).public_key())


@dataclass(frozen=True)
class ParticipantKeys:
    """The private ceremony keys of one participant (never logged: repr hides them)."""

    encryption_secret: bytes = field(repr=False)   # X25519, 32 bytes
    signing_secret: bytes = field(repr=False)      # Ed25519 seed, 32 bytes

    def __post_init__(self) -> None:
        for name in ("encryption_secret", "signing_secret"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != KEY_BYTES:
                raise KeyFileError(f"{name} must be {KEY_BYTES} bytes")

    @classmethod
    def generate(cls, rng=None) -> ParticipantKeys:
        """Fresh keys from the OS (or from `rng`, a random.Random, for reproducible tests)."""
        draw = (lambda: rng.randbytes(KEY_BYTES)) if rng is not None else (
            lambda: secrets.token_bytes(KEY_BYTES))
        return cls(draw(), draw())

    @property
    def encryption_key(self) -> bytes:
        """The X25519 public key (what the ceremony file lists)."""
        return x25519_public(self.encryption_secret)

    @property
    def signing_key(self) -> bytes:
        """The Ed25519 public key (what the ceremony file lists)."""
        return ed25519_public(self.signing_secret)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of SIGNING_DOMAIN || message."""
        return Ed25519PrivateKey.from_private_bytes(self.signing_secret).sign(
            SIGNING_DOMAIN + message)

    def to_json(self) -> str:
        """The secret key file's contents (write it 0600)."""
        return json.dumps({"version": KEY_FILE_VERSION, "kind": "guardian-dkg-keys",
                           "encryption_secret": self.encryption_secret.hex(),
                           "signing_secret": self.signing_secret.hex(),
                           "encryption_key": self.encryption_key.hex(),
                           "signing_key": self.signing_key.hex()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ParticipantKeys:
        """Parse a key file; the public keys in it must match the private ones."""
        try:
            raw = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(f"malformed DKG key file: {exc}") from exc
        fields = ("version", "kind", "encryption_secret", "signing_secret", "encryption_key",
                  "signing_key")
        if not isinstance(raw, dict) or sorted(raw) != sorted(fields):
            raise KeyFileError(f"DKG key file must be a JSON object with keys {fields}")
        if raw["version"] != KEY_FILE_VERSION or raw["kind"] != "guardian-dkg-keys":
            raise KeyFileError("not a version-1 guardian DKG key file")
        values = {}
        for name in fields[2:]:
            value = raw[name]
            try:
                values[name] = bytes.fromhex(value) if isinstance(value, str) else None
            except ValueError:
                values[name] = None
            if values[name] is None or len(values[name]) != KEY_BYTES:
                raise KeyFileError(f"{name} must be {KEY_BYTES} bytes of hex")
        keys = cls(values["encryption_secret"], values["signing_secret"])
        if (keys.encryption_key != values["encryption_key"]
                or keys.signing_key != values["signing_key"]):
            raise KeyFileError("the public keys in the DKG key file do not match its secrets")
        return keys


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True iff `signature` is an Ed25519 signature of SIGNING_DOMAIN || message under
    `public_key`. Never raises."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, SIGNING_DOMAIN + message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


__all__ = ["KEY_BYTES", "SIGNATURE_BYTES", "ParticipantKeys", "ed25519_public",
           "verify_signature", "x25519_public"]
