"""The cover wire message: `BreachShare`, one guardian's partial signature over a confirmation.

A msgpack map (canonical, as `protocol.wire` defines it), keys in this order:

    v (1), type ("breach_share"), chain_id, pool (20 bytes), protocol_id (32), nonce, loss
    (uint256 as 32 bytes: msgpack integers stop at 64 bits), snapshot_block, root (32), deadline,
    partial (96: G2, DST_BREACH, over the confirmation's digest), guardian, signature (96: the
    guardian's DST_GOSSIP signature over the message encoded with an empty signature)

It travels on the guardians' topic next to the incident messages; its type name is not one of
`protocol.messages`, whose decoder refuses it, so neither kind can pass for the other.
`decode` raises only `MessageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.bls import Backend
from protocol.breach import Confirmation
from protocol.guardian_set import MAX_GUARDIANS
from protocol.messages import sign_message, verify_message_signature
from protocol.wire import (
    MessageError,
    check_keys,
    fixed_bytes,
    pack,
    require_canonical,
    uint,
    unpack_map,
)

WIRE_VERSION = 1
TYPE = "breach_share"
FIELDS = ("chain_id", "pool", "protocol_id", "nonce", "loss", "snapshot_block", "root",
          "deadline", "partial", "guardian", "signature")
POINT_BYTES = 96


@dataclass(frozen=True)
class BreachShare:
    confirmation: Confirmation
    partial: bytes
    guardian: int
    signature: bytes


def _fields(msg: BreachShare, signature: bytes) -> dict[str, Any]:
    c = msg.confirmation
    return {"v": WIRE_VERSION, "type": TYPE, "chain_id": c.chain_id, "pool": c.pool,
            "protocol_id": c.protocol_id, "nonce": c.nonce, "loss": c.loss.to_bytes(32, "big"),
            "snapshot_block": c.snapshot_block, "root": c.root, "deadline": c.deadline,
            "partial": msg.partial, "guardian": msg.guardian, "signature": signature}


def is_breach_share(data: bytes) -> bool:
    """A cheap look at the type (the full check is `decode`): routes bytes to the cover
    service. True only for a map whose "type" is "breach_share"."""
    try:
        raw = unpack_map(data)
    except MessageError:
        return False
    return raw.get("type") == TYPE


def encode(msg: BreachShare) -> bytes:
    data = pack(_fields(msg, msg.signature))
    decode(data, None)
    return data


def signing_bytes(msg: BreachShare) -> bytes:
    return pack(_fields(msg, b""))


def _point(raw: dict[str, Any], key: str, backend: Backend | None) -> bytes:
    value = fixed_bytes(raw, key, TYPE, POINT_BYTES)
    if backend is not None and not backend.g2_is_valid(value):
        raise MessageError(f"{TYPE}.{key}: not a valid G2 point (off the curve or subgroup)")
    return value


def decode(data: bytes, backend: Backend | None) -> BreachShare:
    """Parse strictly (points checked when `backend` is given); raises only MessageError."""
    raw = unpack_map(data)
    if raw.get("v") != WIRE_VERSION or isinstance(raw.get("v"), bool):
        raise MessageError(f"unsupported wire version {raw.get('v')!r}")
    if raw.get("type") != TYPE:
        raise MessageError(f"not a {TYPE}: {raw.get('type')!r}")
    check_keys(raw, ("v", "type") + FIELDS, TYPE)
    guardian = uint(raw, "guardian", TYPE)
    if not 1 <= guardian <= MAX_GUARDIANS:
        raise MessageError(f"{TYPE}.guardian: {guardian} outside 1..{MAX_GUARDIANS}")
    confirmation = Confirmation(
        chain_id=uint(raw, "chain_id", TYPE, bits=256, low=1),
        pool=fixed_bytes(raw, "pool", TYPE, 20),
        protocol_id=fixed_bytes(raw, "protocol_id", TYPE, 32),
        nonce=uint(raw, "nonce", TYPE),
        loss=int.from_bytes(fixed_bytes(raw, "loss", TYPE, 32), "big"),
        snapshot_block=uint(raw, "snapshot_block", TYPE),
        root=fixed_bytes(raw, "root", TYPE, 32), deadline=uint(raw, "deadline", TYPE))
    msg = BreachShare(confirmation, _point(raw, "partial", backend), guardian,
                      _point(raw, "signature", backend))
    require_canonical(data, pack(_fields(msg, msg.signature)), TYPE)
    return msg


def sign(msg: BreachShare, secret: int, backend: Backend) -> BreachShare:
    return sign_message(msg, secret, backend, signing_bytes)


def verify_signature(msg: BreachShare, guardian_set, backend: Backend) -> bool:
    return verify_message_signature(msg, guardian_set, backend, signing_bytes)
