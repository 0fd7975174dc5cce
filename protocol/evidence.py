"""Evidence: what a guardian observed on chain that shows an exploit, in a form every other
guardian can re-observe and judge (`protocol.detection`), and whose hash the oracle records.

Canonical encoding: a msgpack map with keys, in this order,
    kind (uint), protocol_id (bin 32), block_from (uint), block_to (uint), subject (bin 20),
    observed (array of bin 32: uint256 big-endian), detail (bin, <= 1024 bytes),
    and, only for evidence about a pending transaction, pending (map, `protocol.pending`);
`evidence_hash(ev) = keccak256(encoding)`. Observed values are 32-byte words because balances
overflow msgpack's 64-bit integers.

This module knows the shape of evidence, not its kinds: `kind` is a byte here, and which kinds
exist (and what their fields mean) is the rule table in `protocol.detection`. A Report carrying
an unknown kind is refused by `protocol.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from protocol.pending import PendingContext, pending_from_fields, pending_to_fields
from protocol.wire import (
    MessageError,
    check_keys,
    fixed_bytes,
    pack,
    uint,
    unpack_map,
    var_bytes,
)

MAX_OBSERVED = 16
MAX_DETAIL_BYTES = 1024
EVIDENCE_KEYS = ("kind", "protocol_id", "block_from", "block_to", "subject", "observed", "detail")


@dataclass(frozen=True)
class Evidence:
    kind: int
    protocol_id: bytes
    block_from: int
    block_to: int
    subject: bytes
    observed: tuple[int, ...]
    detail: bytes
    pending: PendingContext | None = None  # set: evidence about a pending transaction

    def __post_init__(self) -> None:
        # Validate by encoding: constructing an Evidence that cannot be encoded is a bug.
        to_fields(self)


def to_fields(ev: Evidence) -> dict[str, Any]:
    if isinstance(ev.kind, bool) or not isinstance(ev.kind, int) or not 0 <= ev.kind < 256:
        raise MessageError(f"evidence.kind: {ev.kind!r} is not a uint8")
    if not isinstance(ev.observed, tuple) or len(ev.observed) > MAX_OBSERVED:
        raise MessageError(f"evidence.observed: a tuple of at most {MAX_OBSERVED} values")
    words = []
    for value in ev.observed:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**256:
            raise MessageError("evidence.observed: values must be uint256")
        words.append(value.to_bytes(32, "big"))
    fields = {"kind": int(ev.kind), "protocol_id": ev.protocol_id, "block_from": ev.block_from,
              "block_to": ev.block_to, "subject": ev.subject, "observed": words,
              "detail": ev.detail}
    if ev.pending is not None:
        if not isinstance(ev.pending, PendingContext):
            raise MessageError("evidence.pending: expected a PendingContext")
        fields["pending"] = pending_to_fields(ev.pending)
    from_fields(fields)  # the same checks as decoding
    return fields


def from_fields(raw: Any) -> Evidence:
    if not isinstance(raw, dict):
        raise MessageError("evidence: expected a map")
    check_keys(raw, EVIDENCE_KEYS + (("pending",) if "pending" in raw else ()), "evidence")
    kind = uint(raw, "kind", "evidence", bits=8)
    observed = raw["observed"]
    if not isinstance(observed, list | tuple) or len(observed) > MAX_OBSERVED:
        raise MessageError(f"evidence.observed: an array of at most {MAX_OBSERVED} values")
    values = []
    for word in observed:
        if not isinstance(word, bytes) or len(word) != 32:
            raise MessageError("evidence.observed: each value must be 32 bytes")
        values.append(int.from_bytes(word, "big"))
    return _build(
        kind, fixed_bytes(raw, "protocol_id", "evidence", 32),
        uint(raw, "block_from", "evidence"), uint(raw, "block_to", "evidence"),
        fixed_bytes(raw, "subject", "evidence", 20), tuple(values),
        var_bytes(raw, "detail", "evidence", MAX_DETAIL_BYTES),
        pending_from_fields(raw["pending"]) if "pending" in raw else None)


def _build(kind, protocol_id, block_from, block_to, subject, observed, detail,
           pending) -> Evidence:
    ev = object.__new__(Evidence)
    for name, value in (("kind", kind), ("protocol_id", protocol_id),
                        ("block_from", block_from), ("block_to", block_to),
                        ("subject", subject), ("observed", observed), ("detail", detail),
                        ("pending", pending)):
        object.__setattr__(ev, name, value)
    return ev


def encode_evidence(ev: Evidence) -> bytes:
    return pack(to_fields(ev))


def evidence_hash(ev: Evidence) -> bytes:
    return keccak(encode_evidence(ev))


def decode_evidence(data: bytes) -> Evidence:
    """The evidence whose canonical encoding is `data` (what `/evidence/<hash>` serves); a
    non-canonical encoding is refused, so that its hash is the one the oracle recorded."""
    ev = from_fields(unpack_map(data))
    if encode_evidence(ev) != bytes(data):
        raise MessageError("evidence: not the canonical encoding")
    return ev
