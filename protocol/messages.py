"""Wire messages between guardians: Report, Share, Proof, Heartbeat, ReportRequest.

Each is a msgpack map (see `protocol.wire` for what canonical means) whose first two keys are
`v` (the wire version, 1) and `type`, followed by the type's fields in the order below. Every
message names its sender by guardian index and carries that guardian's BLS signature (DST_GOSSIP,
made with its share key, checked against its public share in the guardian set) over the message
encoded with an empty `signature`: gossip is authenticated by guardian keys, not only by libp2p
peer keys.

    Report    proposal of a containment: the digest fields, the evidence, the block observed
    Share     a partial signature (DST_AUTHORIZATION) over a report's digest
    Proof     the combined signature (and the tx hash once sent), so that peers stand down
    Heartbeat liveness and head block (timestamp in unix milliseconds), used for submission
              ranks, the status view and gossip latency
    ReportRequest  "send me the report of this digest": from a guardian holding shares for a
              digest whose report never reached it (node.report_requests); any member holding
              that report re-publishes it unchanged

`decode` raises only `MessageError` (from `protocol.wire`), whatever the input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from protocol.bls import DST_GOSSIP, Backend, get_backend
from protocol.detection import is_known_kind
from protocol.digest import Action, authorization_digest
from protocol.digest import incident_id as compute_incident_id
from protocol.evidence import Evidence, evidence_hash
from protocol.evidence import from_fields as evidence_from_fields
from protocol.evidence import to_fields as evidence_to_fields
from protocol.guardian_set import MAX_GUARDIANS
from protocol.wire import (
    MAX_MESSAGE_BYTES,
    MessageError,
    check_keys,
    fixed_bytes,
    pack,
    require_canonical,
    uint,
    unpack_map,
)

WIRE_VERSION = 1
SIGNATURE_BYTES = 96

__all__ = ["MAX_MESSAGE_BYTES", "WIRE_VERSION", "Heartbeat", "Message", "MessageError", "Proof",
           "Report", "ReportRequest", "Share", "decode", "encode", "sign_message", "signing_bytes",
           "verify_message_signature"]


@dataclass(frozen=True)
class Report:
    TYPE: ClassVar[str] = "report"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "chain_id", "oracle", "key_epoch", "protocol_id", "action", "nonce", "deadline",
        "evidence", "observed_block", "guardian", "signature")

    chain_id: int
    oracle: bytes
    key_epoch: int
    protocol_id: bytes
    action: int
    nonce: int
    deadline: int
    evidence: Evidence
    observed_block: int
    guardian: int
    signature: bytes

    def digest(self) -> bytes:
        return authorization_digest(self.chain_id, self.oracle, self.key_epoch, self.protocol_id,
                                    self.action, self.nonce, self.deadline,
                                    self.evidence.block_from, evidence_hash(self.evidence))

    @property
    def incident_id(self) -> bytes:
        return compute_incident_id(self.chain_id, self.oracle, self.protocol_id, self.nonce)


@dataclass(frozen=True)
class Share:
    TYPE: ClassVar[str] = "share"
    FIELDS: ClassVar[tuple[str, ...]] = ("incident_id", "digest", "partial", "guardian",
                                         "signature")

    incident_id: bytes
    digest: bytes
    partial: bytes
    guardian: int
    signature: bytes


@dataclass(frozen=True)
class Proof:
    TYPE: ClassVar[str] = "proof"
    FIELDS: ClassVar[tuple[str, ...]] = ("incident_id", "digest", "combined_signature", "signers",
                                         "tx_hash", "guardian", "signature")

    incident_id: bytes
    digest: bytes
    combined_signature: bytes
    signers: tuple[int, ...]
    tx_hash: bytes
    guardian: int
    signature: bytes


@dataclass(frozen=True)
class Heartbeat:
    TYPE: ClassVar[str] = "heartbeat"
    FIELDS: ClassVar[tuple[str, ...]] = ("head_block", "head_hash", "timestamp", "key_epoch",
                                         "guardian", "signature")

    head_block: int
    head_hash: bytes
    timestamp: int
    key_epoch: int
    guardian: int
    signature: bytes


@dataclass(frozen=True)
class ReportRequest:
    TYPE: ClassVar[str] = "request"  # not "report_request": kinds are told apart by substring
    FIELDS: ClassVar[tuple[str, ...]] = ("digest", "timestamp", "key_epoch", "guardian",
                                         "signature")

    digest: bytes  # the authorization digest whose report the sender lacks
    timestamp: int  # unix milliseconds: a request is current, and one guardian's are rate-limited
    key_epoch: int
    guardian: int
    signature: bytes


Message = Report | Share | Proof | Heartbeat | ReportRequest
TYPES: dict[str, type] = {cls.TYPE: cls for cls in (Report, Share, Proof, Heartbeat,
                                                    ReportRequest)}


# encoding ------------------------------------------------------------------------------------------
def _fields(msg: Message, signature: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"v": WIRE_VERSION, "type": msg.TYPE}
    for name in msg.FIELDS:
        value = signature if name == "signature" else getattr(msg, name)
        if name == "evidence":
            value = evidence_to_fields(value)
        elif name == "signers":
            value = list(value)
        elif name == "action":
            value = int(value)
        out[name] = value
    return out


def encode(msg: Message) -> bytes:
    """The canonical encoding; refuses a message that `decode` would refuse (except points)."""
    data = pack(_fields(msg, msg.signature))
    _parse(data, check_points=None)
    return data


def signing_bytes(msg: Message) -> bytes:
    """What the sender signs: the encoding with an empty signature field."""
    return pack(_fields(msg, b""))


# decoding ------------------------------------------------------------------------------------------
def decode(data: bytes, backend: Backend | None = None) -> Message:
    """Parse and check a wire message strictly; raises only MessageError."""
    return _parse(data, check_points=backend or get_backend())


def _guardian(raw: dict[str, Any], what: str) -> int:
    value = uint(raw, "guardian", what)
    if not 1 <= value <= MAX_GUARDIANS:
        raise MessageError(f"{what}.guardian: {value} outside 1..{MAX_GUARDIANS}")
    return value


def _point(raw: dict[str, Any], key: str, what: str, backend: Backend | None) -> bytes:
    value = fixed_bytes(raw, key, what, SIGNATURE_BYTES)
    if backend is not None and not backend.g2_is_valid(value):
        raise MessageError(f"{what}.{key}: not a valid G2 point (off the curve or subgroup)")
    return value


def _parse(data: bytes, check_points: Backend | None) -> Message:
    raw = unpack_map(data)
    version, kind = raw.get("v"), raw.get("type")
    if version != WIRE_VERSION or isinstance(version, bool):
        raise MessageError(f"unsupported wire version {version!r}")
    if not isinstance(kind, str) or kind not in TYPES:
        raise MessageError(f"unknown message type {kind!r}")
    cls = TYPES[kind]
    check_keys(raw, ("v", "type") + cls.FIELDS, kind)
    what = kind
    b = check_points
    if cls is Report:
        action = uint(raw, "action", what, bits=8)
        if action not in tuple(Action):
            raise MessageError(f"report.action: {action} is not a containment action")
        evidence = evidence_from_fields(raw["evidence"])
        if not is_known_kind(evidence.kind):
            raise MessageError(f"evidence.kind: {evidence.kind} is not a known evidence kind")
        msg: Message = Report(
            chain_id=uint(raw, "chain_id", what, bits=256, low=1),
            oracle=fixed_bytes(raw, "oracle", what, 20),
            key_epoch=uint(raw, "key_epoch", what, low=1),
            protocol_id=fixed_bytes(raw, "protocol_id", what, 32),
            action=Action(action), nonce=uint(raw, "nonce", what),
            deadline=uint(raw, "deadline", what),
            evidence=evidence,
            observed_block=uint(raw, "observed_block", what),
            guardian=_guardian(raw, what), signature=_point(raw, "signature", what, b))
    elif cls is Share:
        msg = Share(incident_id=fixed_bytes(raw, "incident_id", what, 32),
                    digest=fixed_bytes(raw, "digest", what, 32),
                    partial=_point(raw, "partial", what, b), guardian=_guardian(raw, what),
                    signature=_point(raw, "signature", what, b))
    elif cls is Proof:
        signers = raw["signers"]
        if not isinstance(signers, list) or not 1 <= len(signers) <= MAX_GUARDIANS:
            raise MessageError(f"proof.signers: expected 1..{MAX_GUARDIANS} guardian indices")
        for s in signers:
            if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= MAX_GUARDIANS:
                raise MessageError(f"proof.signers: {s!r} is not a guardian index")
        if signers != sorted(set(signers)):
            raise MessageError("proof.signers: must be sorted and unique")
        msg = Proof(incident_id=fixed_bytes(raw, "incident_id", what, 32),
                    digest=fixed_bytes(raw, "digest", what, 32),
                    combined_signature=_point(raw, "combined_signature", what, b),
                    signers=tuple(signers),
                    tx_hash=fixed_bytes(raw, "tx_hash", what, 32, allow_empty=True),
                    guardian=_guardian(raw, what), signature=_point(raw, "signature", what, b))
    elif cls is ReportRequest:
        msg = ReportRequest(digest=fixed_bytes(raw, "digest", what, 32),
                            timestamp=uint(raw, "timestamp", what),
                            key_epoch=uint(raw, "key_epoch", what, low=1),
                            guardian=_guardian(raw, what),
                            signature=_point(raw, "signature", what, b))
    else:
        msg = Heartbeat(head_block=uint(raw, "head_block", what),
                        head_hash=fixed_bytes(raw, "head_hash", what, 32),
                        timestamp=uint(raw, "timestamp", what),
                        key_epoch=uint(raw, "key_epoch", what, low=1),
                        guardian=_guardian(raw, what), signature=_point(raw, "signature", what, b))
    require_canonical(data, pack(_fields(msg, msg.signature)), what)
    return msg


# authentication ------------------------------------------------------------------------------------
def sign_message(msg: Message, secret: int, backend: Backend, signing=None) -> Message:
    """`msg` signed by a guardian's share under the gossip DST; `signing(msg)` gives the bytes
    signed (this module's `signing_bytes` unless another message family passes its own)."""
    data = (signing or signing_bytes)(msg)
    return dataclasses.replace(msg, signature=backend.sign(secret, data, DST_GOSSIP))


def verify_message_signature(msg: Message, guardian_set, backend: Backend, signing=None) -> bool:
    if not guardian_set.is_member(msg.guardian):
        return False
    return backend.verify(guardian_set.public_share(msg.guardian), (signing or signing_bytes)(msg),
                          msg.signature, DST_GOSSIP)
