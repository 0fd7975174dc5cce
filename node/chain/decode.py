"""Decoding untrusted JSON-RPC answers: every value is checked for shape and length, and a bad one
raises `ChainError` naming what was being read, never an unrelated exception."""

from __future__ import annotations

import re
from typing import Any

from node.errors import NodeError

_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]{2})*")
_UINT = re.compile(r"0x[0-9a-fA-F]+|[0-9]+")
MAX_UINT_DIGITS = 80  # a uint256 has at most 78 decimal digits


class ChainError(NodeError, RuntimeError):
    """The RPC endpoint failed or answered something unusable; the message says which call."""


class ChainUnavailable(ChainError):
    """The RPC endpoint could not be reached after retries."""


def decode_bytes(value: Any, length: int | None, what: str) -> bytes:
    """Bytes from a hex string (0x optional, no spaces) or a bytes-like value (bytes, bytearray,
    web3's HexBytes), of exactly `length` bytes if given. Nothing else converts: `bytes(20)` would
    make twenty zero bytes of an integer."""
    if isinstance(value, str):
        if not _HEX.fullmatch(value):
            raise ChainError(f"{what}: not hex")
        raw = bytes.fromhex(value.removeprefix("0x"))
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
    else:
        raise ChainError(f"{what}: not bytes ({type(value).__name__})")
    if length is not None and len(raw) != length:
        raise ChainError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def decode_uint(value: Any, what: str) -> int:
    """A non-negative integer from an int or a 0x-hex / decimal string (ASCII digits only: no
    sign, spaces or underscores, which int() would take)."""
    if isinstance(value, str):
        if len(value) > MAX_UINT_DIGITS or not _UINT.fullmatch(value):
            raise ChainError(f"{what}: not a non-negative integer")
        return int(value, 16) if value.startswith("0x") else int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ChainError(f"{what}: not a non-negative integer")
    return value
