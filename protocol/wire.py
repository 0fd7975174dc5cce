"""Strict msgpack: the canonical encoding of wire objects and the checks their decoders share.

Canonical means: a map with str keys in the schema's order, bytes as msgpack bin, unsigned
integers as msgpack ints (never bool), and the smallest msgpack representation (what
`msgpack.packb` produces). A decoder re-encodes what it parsed and refuses input that differs, so
one object has exactly one encoding and message ids (hashes of the bytes) are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from protocol.errors import ProtocolError

MAX_MESSAGE_BYTES = 4096


class MessageError(ProtocolError):
    """A wire message (or part of it) is malformed; the message says what and where."""


def pack(fields: dict[str, Any]) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


def unpack_map(data: bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    if not isinstance(data, bytes | bytearray):
        raise MessageError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise MessageError(f"message of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        raw = msgpack.unpackb(bytes(data), raw=False, strict_map_key=True, use_list=True,
                              max_str_len=64, max_bin_len=max_bytes, max_array_len=1024,
                              max_map_len=32, max_ext_len=0)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError, RecursionError) as exc:
        raise MessageError(f"not a msgpack document: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - msgpack's error set is not closed
        raise MessageError(f"not a msgpack document: {type(exc).__name__}") from exc
    if not isinstance(raw, dict):
        raise MessageError("expected a msgpack map")
    return raw


def check_keys(raw: dict[str, Any], schema: Sequence[str], what: str) -> None:
    keys = list(raw)
    if keys == list(schema):
        return
    missing = [k for k in schema if k not in raw]
    unknown = [k for k in keys if k not in schema]
    if missing:
        raise MessageError(f"{what}: missing field(s) {', '.join(missing)}")
    if unknown:
        raise MessageError(f"{what}: unknown field(s) {', '.join(map(str, unknown))}")
    raise MessageError(f"{what}: fields are not in canonical order")


def uint(raw: dict[str, Any], key: str, what: str, bits: int = 64, low: int = 0) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{what}.{key}: expected an unsigned integer, got "
                           f"{type(value).__name__}")
    if not low <= value < 2**bits:
        raise MessageError(f"{what}.{key}: {value} outside {low}..2^{bits}-1")
    return value


def fixed_bytes(raw: dict[str, Any], key: str, what: str, length: int,
                allow_empty: bool = False) -> bytes:
    value = raw[key]
    if not isinstance(value, bytes):
        raise MessageError(f"{what}.{key}: expected bytes, got {type(value).__name__}")
    if allow_empty and value == b"":
        return value
    if len(value) != length:
        raise MessageError(f"{what}.{key}: expected {length} bytes, got {len(value)}")
    return value


def var_bytes(raw: dict[str, Any], key: str, what: str, max_length: int) -> bytes:
    value = raw[key]
    if not isinstance(value, bytes):
        raise MessageError(f"{what}.{key}: expected bytes, got {type(value).__name__}")
    if len(value) > max_length:
        raise MessageError(f"{what}.{key}: {len(value)} bytes exceeds {max_length}")
    return value


def require_canonical(data: bytes, canonical: bytes, what: str) -> None:
    if bytes(data) != canonical:
        raise MessageError(f"{what}: non-canonical encoding")
