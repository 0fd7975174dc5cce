"""Decoding untrusted JSON-RPC answers: every value is checked for shape and length, and a bad one
raises `ChainError` naming what was being read, never an unrelated exception."""

from __future__ import annotations

from typing import Any

from node.errors import NodeError


class ChainError(NodeError, RuntimeError):
    """The RPC endpoint failed or answered something unusable; the message says which call."""


class ChainUnavailable(ChainError):
    """The RPC endpoint could not be reached after retries."""


def decode_bytes(value: Any, length: int | None, what: str) -> bytes:
    """Bytes from a hex string or a bytes-like value, of exactly `length` bytes if given."""
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError as exc:
            raise ChainError(f"{what}: not hex") from exc
    try:
        raw = bytes(value)
    except (TypeError, ValueError) as exc:
        raise ChainError(f"{what}: not bytes ({type(value).__name__})") from exc
    if length is not None and len(raw) != length:
        raise ChainError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def decode_uint(value: Any, what: str) -> int:
    """A non-negative integer from an int or a (0x-)hex / decimal string."""
    if isinstance(value, str):
        try:
            return int(value, 16) if value.startswith("0x") else int(value)
        except ValueError as exc:
            raise ChainError(f"{what}: not an integer") from exc
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ChainError(f"{what}: not a non-negative integer")
    return value
