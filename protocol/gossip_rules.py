"""Gossip validation: when a guardian forwards, drops, or blames a message.

Written in the manner of the Ethereum consensus p2p spec. Each message type has an ordered list of
conditions; the first that fails decides. A condition is tagged:

- IGNORE: drop quietly, the sender may be honest (a duplicate; another chain, oracle or key epoch;
  a message from too far in the past or the future);
- REJECT: drop and blame the sender (malformed bytes; not a member of the current guardian set; a
  bad guardian signature; a report whose fields contradict each other; a partial that does not
  verify against the sender's public share; a proof whose signature does not verify under the
  group key).

Cheap checks come first; the guardian signature is checked before any content-based REJECT, so
that blame for content always falls on the guardian that signed it. `validate_bytes` never raises.

Each condition below names the `Reason` a message that fails it is dropped with (a metric label);
the `Outcome` also carries a human detail string for logs.

Common, in order:
  [REJECT] the bytes decode as a wire message (`protocol.messages.decode`)       MALFORMED
  [IGNORE] the message id (`message_id`) has not been seen before: gossipsub's seen cache
           enforces this before any validator runs
  [REJECT] `guardian` is a member of the current guardian set                    NOT_MEMBER
Report:
  [IGNORE] chain_id and oracle are ours                                          OTHER_DEPLOYMENT
  [IGNORE] key_epoch is the current epoch                                        OTHER_EPOCH
  [IGNORE] deadline is not in the past                                           EXPIRED
  [IGNORE] observed_block <= head + MAX_FUTURE_BLOCKS                            FUTURE
  [IGNORE] it is the first valid report from `guardian` for the incident
           (protocol_id, nonce) (`ValidationContext.reported`); a first report
           about a pending transaction or a probe whose base block is now too old
           to be signed (`protocol.pending.base_too_old` at head_block) no longer
           counts: the guardian may report the incident again                  NOT_FIRST
  [REJECT] the guardian signature verifies                                       BAD_SIGNATURE
  [REJECT] evidence.protocol_id == protocol_id, evidence.block_to == observed_block
                                                                                 INCONSISTENT
Share:
  [REJECT] the guardian signature verifies, unless the link authenticated it     BAD_SIGNATURE
  [REJECT] the partial verifies against pk_guardian over `digest`                BAD_PARTIAL
Proof:
  [REJECT] the guardian signature verifies, unless the link authenticated it     BAD_SIGNATURE
  [REJECT] every signer is a member and there are at least t of them             BAD_SIGNERS
  [REJECT] combined_signature verifies under the group key over `digest`         BAD_PROOF
Heartbeat:
  [IGNORE] key_epoch is the current epoch                                        OTHER_EPOCH
  [IGNORE] |timestamp (ms) - now| <= MAX_CLOCK_SKEW_SECONDS                      CLOCK_SKEW
  [IGNORE] timestamp is later than the last accepted heartbeat of `guardian`
           (`ValidationContext.last_heartbeat`)                                  NOT_FIRST
  [REJECT] the guardian signature verifies.                                      BAD_SIGNATURE
ReportRequest:
  [IGNORE] key_epoch is the current epoch                                        OTHER_EPOCH
  [IGNORE] |timestamp (ms) - now| <= MAX_CLOCK_SKEW_SECONDS                      CLOCK_SKEW
  [IGNORE] timestamp is at least REQUEST_INTERVAL_MS after the last accepted
           request of `guardian` (`ValidationContext.last_request`): one member
           cannot make the others validate, forward or answer more than a few
           requests a second                                                     TOO_FREQUENT
  [REJECT] the guardian signature verifies.                                      BAD_SIGNATURE

"The link authenticated it": the message came over `guardian`'s own direct link
(`ValidationContext.link_author`, node.p2p.direct), whose Noise handshake proved the peer id the
guardian set binds to that index. A share or a proof is then its author's without the guardian
signature (one pairing check less per message on the race's critical path: each guardian receives
n - 1 shares). Its other checks still run: a share's partial is a signature under the author's own
key share either way. Reports and report requests are re-published by others (answers to report
requests, the re-gossip of open incidents), so their signature is always checked; and a message
accepted this way is checked in full before it is ever forwarded from the topic (node.p2p.delivery).

"First valid" state (`reported`, `last_heartbeat`, `last_request`) is what the node recorded for peers' messages
it accepted; the node keeps it bounded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from enum import Enum

from protocol import messages, threshold
from protocol.bls import DST_AUTHORIZATION, Backend
from protocol.guardian_set import GuardianSet
from protocol.messages import Heartbeat, Message, Proof, Report, ReportRequest, Share
from protocol.wire import MessageError

TOPIC = "guardian-network/v1/incidents"  # the gossipsub topic every guardian message goes on
MESSAGE_ID_DOMAIN = b"guardian-network/msgid/v1"
MAX_FUTURE_BLOCKS = 8
MAX_CLOCK_SKEW_SECONDS = 60
REQUEST_INTERVAL_MS = 250  # at most four report requests a second from one guardian


class Verdict(Enum):
    ACCEPT = "accept"
    IGNORE = "ignore"
    REJECT = "reject"


class Reason(Enum):
    """Why a message was accepted or dropped: a closed set, usable as a metric label."""

    VALID = "valid"
    MALFORMED = "malformed"
    NOT_MEMBER = "not_member"
    OTHER_DEPLOYMENT = "other_deployment"
    OTHER_EPOCH = "other_epoch"
    EXPIRED = "expired"
    FUTURE = "future"
    NOT_FIRST = "not_first"
    CLOCK_SKEW = "clock_skew"
    TOO_FREQUENT = "too_frequent"
    BAD_SIGNATURE = "bad_signature"
    INCONSISTENT = "inconsistent"
    BAD_PARTIAL = "bad_partial"
    BAD_SIGNERS = "bad_signers"
    BAD_PROOF = "bad_proof"
    INTERNAL = "internal"  # the validator itself failed; blamed on the message, never raised


@dataclass(frozen=True)
class Outcome:
    """A rule's result: the reason (a label) and a detail string for humans."""

    reason: Reason
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class ValidationContext:
    guardian_set: GuardianSet
    chain_id: int
    oracle: bytes
    head_block: int
    now: int
    reported: Container[tuple[int, bytes]] = frozenset()  # (guardian, incident id) accepted
    last_heartbeat: Mapping[int, int] = field(default_factory=dict)  # guardian -> timestamp ms
    last_request: Mapping[int, int] = field(default_factory=dict)  # guardian -> timestamp ms
    link_author: int | None = None  # the guardian whose own direct link delivered the message


def message_id(data: bytes) -> bytes:
    """The gossipsub message id: domain-separated, so it never equals another protocol's hash
    of the same bytes."""
    return hashlib.sha256(MESSAGE_ID_DOMAIN + data).digest()[:20]


def _ok(detail: str) -> tuple[Verdict, Outcome]:
    return Verdict.ACCEPT, Outcome(Reason.VALID, detail)


def _ignore(reason: Reason, detail: str) -> tuple[Verdict, Outcome]:
    return Verdict.IGNORE, Outcome(reason, detail)


def _reject(reason: Reason, detail: str) -> tuple[Verdict, Outcome]:
    return Verdict.REJECT, Outcome(reason, detail)


def _signed(msg: Message, ctx: ValidationContext, backend: Backend) -> bool:
    return messages.verify_message_signature(msg, ctx.guardian_set, backend)


def _authentic(msg: Share | Proof, ctx: ValidationContext, backend: Backend) -> bool:
    """The guardian signature of a share or proof, or its author's authenticated link."""
    return msg.guardian == ctx.link_author or _signed(msg, ctx, backend)


def _report(msg: Report, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, Outcome]:
    if msg.chain_id != ctx.chain_id or msg.oracle != ctx.oracle:
        return _ignore(Reason.OTHER_DEPLOYMENT, "report for another chain or oracle")
    if msg.key_epoch != ctx.guardian_set.epoch:
        return _ignore(Reason.OTHER_EPOCH, f"report for key epoch {msg.key_epoch}")
    if msg.deadline < ctx.now:
        return _ignore(Reason.EXPIRED, "report past its deadline")
    if msg.observed_block > ctx.head_block + MAX_FUTURE_BLOCKS:
        return _ignore(Reason.FUTURE,
                       f"report observed block {msg.observed_block} is in the future")
    if (msg.guardian, msg.incident_id) in ctx.reported:
        return _ignore(Reason.NOT_FIRST, f"guardian {msg.guardian} already reported this incident")
    if not _signed(msg, ctx, backend):
        return _reject(Reason.BAD_SIGNATURE, "bad guardian signature")
    if msg.evidence.protocol_id != msg.protocol_id or msg.evidence.block_to != msg.observed_block:
        return _reject(Reason.INCONSISTENT, "evidence does not match the report")
    return _ok("valid report")


def _share(msg: Share, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, Outcome]:
    if not _authentic(msg, ctx, backend):
        return _reject(Reason.BAD_SIGNATURE, "bad guardian signature")
    if not threshold.verify_partial(ctx.guardian_set, msg.guardian, msg.digest, msg.partial,
                                    backend):
        return _reject(Reason.BAD_PARTIAL, f"partial of guardian {msg.guardian} does not verify")
    return _ok("valid share")


def _proof(msg: Proof, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, Outcome]:
    if not _authentic(msg, ctx, backend):
        return _reject(Reason.BAD_SIGNATURE, "bad guardian signature")
    gset = ctx.guardian_set
    if not all(gset.is_member(s) for s in msg.signers) or len(msg.signers) < gset.threshold:
        return _reject(Reason.BAD_SIGNERS, "signers are not t members of the guardian set")
    if not backend.verify(gset.group_public_key, msg.digest, msg.combined_signature,
                          DST_AUTHORIZATION):
        return _reject(Reason.BAD_PROOF, "combined signature does not verify under the group key")
    return _ok("valid proof")


def _heartbeat(msg: Heartbeat, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, Outcome]:
    if msg.key_epoch != ctx.guardian_set.epoch:
        return _ignore(Reason.OTHER_EPOCH, f"heartbeat for key epoch {msg.key_epoch}")
    if abs(msg.timestamp // 1000 - ctx.now) > MAX_CLOCK_SKEW_SECONDS:
        return _ignore(Reason.CLOCK_SKEW, "heartbeat timestamp too far from now")
    if msg.timestamp <= ctx.last_heartbeat.get(msg.guardian, -1):
        return _ignore(Reason.NOT_FIRST, f"not newer than guardian {msg.guardian}'s last heartbeat")
    if not _signed(msg, ctx, backend):
        return _reject(Reason.BAD_SIGNATURE, "bad guardian signature")
    return _ok("valid heartbeat")


def _request(msg: ReportRequest, ctx: ValidationContext,
             backend: Backend) -> tuple[Verdict, Outcome]:
    if msg.key_epoch != ctx.guardian_set.epoch:
        return _ignore(Reason.OTHER_EPOCH, f"report request for key epoch {msg.key_epoch}")
    if abs(msg.timestamp // 1000 - ctx.now) > MAX_CLOCK_SKEW_SECONDS:
        return _ignore(Reason.CLOCK_SKEW, "report request timestamp too far from now")
    last = ctx.last_request.get(msg.guardian)
    if last is not None and msg.timestamp < last + REQUEST_INTERVAL_MS:
        return _ignore(Reason.TOO_FREQUENT, f"guardian {msg.guardian} asked less than "
                                            f"{REQUEST_INTERVAL_MS} ms after its last request")
    if not _signed(msg, ctx, backend):
        return _reject(Reason.BAD_SIGNATURE, "bad guardian signature")
    return _ok("valid report request")


_RULES = {Report: _report, Share: _share, Proof: _proof, Heartbeat: _heartbeat,
          ReportRequest: _request}


def validate(msg: Message, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, Outcome]:
    if not ctx.guardian_set.is_member(msg.guardian):
        return _reject(Reason.NOT_MEMBER,
                       f"guardian {msg.guardian} is not in the current guardian set")
    return _RULES[type(msg)](msg, ctx, backend)


def validate_bytes(data: bytes, ctx: ValidationContext,
                   backend: Backend) -> tuple[Verdict, Outcome, Message | None]:
    """Apply the rules to raw gossip bytes. Never raises."""
    try:
        try:
            msg = messages.decode(data, backend)
        except MessageError as exc:
            return (*_reject(Reason.MALFORMED, f"malformed: {exc}"), None)
        verdict, reason = validate(msg, ctx, backend)
        return verdict, reason, msg
    except Exception as exc:  # noqa: BLE001 - a validator must never raise (TOOLCHAIN.md)
        return (*_reject(Reason.INTERNAL, f"validation error: {type(exc).__name__}: {exc}"),
                None)
