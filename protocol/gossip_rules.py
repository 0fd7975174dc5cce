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

Common, in order:
  [REJECT] the bytes decode as a wire message (`protocol.messages.decode`);
  [IGNORE] the message id has not been seen before;
  [REJECT] `guardian` is a member of the current guardian set;
Report:
  [IGNORE] chain_id and oracle are ours; key_epoch is the current epoch;
  [IGNORE] deadline is not in the past; observed_block <= head + MAX_FUTURE_BLOCKS;
  [REJECT] the guardian signature verifies;
  [REJECT] evidence.protocol_id == protocol_id and evidence.block_to == observed_block;
Share:
  [REJECT] the guardian signature verifies;
  [REJECT] the partial verifies against pk_guardian over `digest`;
Proof:
  [REJECT] the guardian signature verifies;
  [REJECT] every signer is a member and there are at least t of them;
  [REJECT] combined_signature verifies under the group key over `digest`;
Heartbeat:
  [IGNORE] key_epoch is the current epoch; |timestamp (ms) - now| <= MAX_CLOCK_SKEW_SECONDS;
  [REJECT] the guardian signature verifies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

from protocol import messages, threshold
from protocol.bls import DST_AUTHORIZATION, Backend
from protocol.guardian_set import GuardianSet
from protocol.messages import Heartbeat, Message, Proof, Report, Share
from protocol.wire import MessageError

MAX_FUTURE_BLOCKS = 8
MAX_CLOCK_SKEW_SECONDS = 60


class Verdict(Enum):
    ACCEPT = "accept"
    IGNORE = "ignore"
    REJECT = "reject"


@dataclass(frozen=True)
class ValidationContext:
    guardian_set: GuardianSet
    chain_id: int
    oracle: bytes
    head_block: int
    now: int
    seen: frozenset[bytes] = field(default_factory=frozenset)
    own_index: int | None = None


def message_id(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:20]


def _signed(msg: Message, ctx: ValidationContext, backend: Backend) -> bool:
    return messages.verify_message_signature(msg, ctx.guardian_set, backend)


def _report(msg: Report, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, str]:
    if msg.chain_id != ctx.chain_id or msg.oracle != ctx.oracle:
        return Verdict.IGNORE, "report for another chain or oracle"
    if msg.key_epoch != ctx.guardian_set.epoch:
        return Verdict.IGNORE, f"report for key epoch {msg.key_epoch}"
    if msg.deadline < ctx.now:
        return Verdict.IGNORE, "report past its deadline"
    if msg.observed_block > ctx.head_block + MAX_FUTURE_BLOCKS:
        return Verdict.IGNORE, f"report observed block {msg.observed_block} is in the future"
    if not _signed(msg, ctx, backend):
        return Verdict.REJECT, "bad guardian signature"
    if msg.evidence.protocol_id != msg.protocol_id or msg.evidence.block_to != msg.observed_block:
        return Verdict.REJECT, "evidence does not match the report"
    return Verdict.ACCEPT, "valid report"


def _share(msg: Share, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, str]:
    if not _signed(msg, ctx, backend):
        return Verdict.REJECT, "bad guardian signature"
    if not threshold.verify_partial(ctx.guardian_set, msg.guardian, msg.digest, msg.partial,
                                    backend):
        return Verdict.REJECT, f"partial of guardian {msg.guardian} does not verify"
    return Verdict.ACCEPT, "valid share"


def _proof(msg: Proof, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, str]:
    if not _signed(msg, ctx, backend):
        return Verdict.REJECT, "bad guardian signature"
    gset = ctx.guardian_set
    if not all(gset.is_member(s) for s in msg.signers) or len(msg.signers) < gset.threshold:
        return Verdict.REJECT, "signers are not t members of the guardian set"
    if not backend.verify(gset.group_public_key, msg.digest, msg.combined_signature,
                          DST_AUTHORIZATION):
        return Verdict.REJECT, "combined signature does not verify under the group key"
    return Verdict.ACCEPT, "valid proof"


def _heartbeat(msg: Heartbeat, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, str]:
    if msg.key_epoch != ctx.guardian_set.epoch:
        return Verdict.IGNORE, f"heartbeat for key epoch {msg.key_epoch}"
    if abs(msg.timestamp // 1000 - ctx.now) > MAX_CLOCK_SKEW_SECONDS:
        return Verdict.IGNORE, "heartbeat timestamp too far from now"
    if not _signed(msg, ctx, backend):
        return Verdict.REJECT, "bad guardian signature"
    return Verdict.ACCEPT, "valid heartbeat"


_RULES = {Report: _report, Share: _share, Proof: _proof, Heartbeat: _heartbeat}


def validate(msg: Message, ctx: ValidationContext, backend: Backend) -> tuple[Verdict, str]:
    if not ctx.guardian_set.is_member(msg.guardian):
        return Verdict.REJECT, f"guardian {msg.guardian} is not in the current guardian set"
    return _RULES[type(msg)](msg, ctx, backend)


def validate_bytes(data: bytes, ctx: ValidationContext,
                   backend: Backend) -> tuple[Verdict, str, Message | None]:
    """Apply the rules to raw gossip bytes. Never raises."""
    try:
        try:
            msg = messages.decode(data, backend)
        except MessageError as exc:
            return Verdict.REJECT, f"malformed: {exc}", None
        if message_id(data) in ctx.seen:
            return Verdict.IGNORE, "duplicate", msg
        verdict, reason = validate(msg, ctx, backend)
        return verdict, reason, msg
    except Exception as exc:  # noqa: BLE001 - a validator must never raise (TOOLCHAIN.md)
        return Verdict.REJECT, f"validation error: {type(exc).__name__}: {exc}", None
