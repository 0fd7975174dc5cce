"""The node's libp2p identity: a secp256k1 key in a 0600 file (hex), and the peer id it gives."""

from __future__ import annotations

import os
from pathlib import Path

from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.peer.id import ID

from node.errors import NodeError


class IdentityError(NodeError, ValueError):
    """The identity file is missing, unreadable or malformed."""


def generate_identity() -> bytes:
    return os.urandom(32)


def key_pair(secret: bytes):
    try:
        return create_new_key_pair(secret)
    except Exception as exc:  # noqa: BLE001 - coincurve rejects out-of-range secrets
        raise IdentityError(f"not a valid secp256k1 secret: {exc}") from exc


def peer_id_of(secret: bytes) -> str:
    return ID.from_pubkey(key_pair(secret).public_key).to_base58()


def check_peer_id(text: str) -> str:
    """A base58 libp2p peer id that parses; IdentityError otherwise."""
    try:
        ID.from_base58(text)
    except Exception as exc:  # noqa: BLE001 - base58/multihash errors vary
        raise IdentityError(f"not a libp2p peer id: {text[:60]!r}") from exc
    return text


def save_identity(path: Path, secret: bytes, *, force: bool = False) -> None:
    from node.keys import write_secret_file

    write_secret_file(Path(path), (secret.hex() + "\n").encode(), force=force)


def load_identity(path: Path) -> bytes:
    from node.keys import KeyFileError, read_secret_file

    try:
        raw = read_secret_file(Path(path), "p2p identity file")
    except KeyFileError as exc:
        raise IdentityError(str(exc)) from exc
    return parse_identity(raw, path)


def parse_identity(raw: bytes, path: Path) -> bytes:
    """The secret in an identity file's bytes (hex, one line), checked to be a secp256k1 key."""
    text = raw.decode(errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError as exc:
        raise IdentityError(f"p2p identity file {path} does not hold a hex key") from exc
    if len(secret) != 32:
        raise IdentityError(f"p2p identity file {path}: expected 32 bytes, got {len(secret)}")
    key_pair(secret)
    return secret
