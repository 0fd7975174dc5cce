"""Gossip validation of `BreachShare` messages (protocol.cover_wire), in the manner of
`protocol.gossip_rules` (same verdicts, same `Reason` labels where they mean the same, and
`CoverReason` for what only cover has). In order:

  [REJECT] the bytes decode as a BreachShare                                     MALFORMED
  [REJECT] `guardian` is a member of the current guardian set                    NOT_MEMBER
  [IGNORE] chain_id is ours                                                      OTHER_DEPLOYMENT
  [IGNORE] deadline is not in the past                                           EXPIRED
  [IGNORE] the pool is one we follow                                             UNKNOWN_POOL
  [REJECT] the guardian signature verifies                                       BAD_SIGNATURE
  [REJECT] the partial verifies against pk_guardian over the confirmation's
           digest (DST_BREACH)                                                   BAD_PARTIAL
  [IGNORE] we have computed this incident ourselves (a share may arrive before
           our own computation; its sender re-gossips)                           NOT_COMPUTED
  [IGNORE] our computation found nothing to confirm and the sender claims a
           loss is REJECTed below; if we could not compute it (the chain did not
           answer) it is IGNOREd                                                 NOT_COMPUTED
  [REJECT] loss, snapshot block and root equal our own computation, and the
           deadline is the incident's (containment time + confirmation window):
           the detail names each field that differs                              MISMATCH

The last rule is what makes a confirmation the network's and not one guardian's: every co-signer
re-computes it from its own node (protocol.cover_loss) and signs only the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from protocol import breach, cover_wire
from protocol.bls import Backend
from protocol.breach import Confirmation
from protocol.gossip_rules import Outcome, Reason, Verdict
from protocol.guardian_set import GuardianSet
from protocol.wire import MessageError


class CoverReason(Enum):
    UNKNOWN_POOL = "unknown_pool"
    NOT_COMPUTED = "not_computed"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class CoverContext:
    guardian_set: GuardianSet
    chain_id: int
    now: int
    pools: frozenset[bytes]
    # (pool, nonce) -> our own confirmation, or None when ours found nothing to confirm;
    # a missing key: not computed (yet)
    computed: Callable[[bytes, int], tuple[bool, Confirmation | None]]


def differences(ours: Confirmation, theirs: Confirmation) -> list[str]:
    """The fields in which a peer's confirmation differs from ours, with both values."""
    out = []
    for name in ("protocol_id", "loss", "snapshot_block", "root", "deadline"):
        a, b = getattr(ours, name), getattr(theirs, name)
        if a != b:
            show = (lambda v: "0x" + v.hex()[:16]) if isinstance(a, bytes) else str
            out.append(f"{name} {show(b)} (ours {show(a)})")
    return out


def validate(msg: cover_wire.BreachShare, ctx: CoverContext,
             backend: Backend) -> tuple[Verdict, Outcome]:
    c = msg.confirmation
    gset = ctx.guardian_set
    if not gset.is_member(msg.guardian):
        return Verdict.REJECT, Outcome(Reason.NOT_MEMBER, f"guardian {msg.guardian} is not a member")
    if c.chain_id != ctx.chain_id:
        return Verdict.IGNORE, Outcome(Reason.OTHER_DEPLOYMENT, f"chain {c.chain_id}")
    if c.deadline < ctx.now:
        return Verdict.IGNORE, Outcome(Reason.EXPIRED, "confirmation past its deadline")
    if c.pool not in ctx.pools:
        return Verdict.IGNORE, Outcome(CoverReason.UNKNOWN_POOL, f"pool 0x{c.pool.hex()}")
    if not cover_wire.verify_signature(msg, gset, backend):
        return Verdict.REJECT, Outcome(Reason.BAD_SIGNATURE, "bad guardian signature")
    if not breach.verify_partial(gset, msg.guardian, c.digest(), msg.partial, backend):
        return Verdict.REJECT, Outcome(Reason.BAD_PARTIAL,
                                       f"breach partial of guardian {msg.guardian} does not verify")
    known, ours = ctx.computed(c.pool, c.nonce)
    if not known:
        return Verdict.IGNORE, Outcome(CoverReason.NOT_COMPUTED,
                                       f"incident {c.nonce} of pool 0x{c.pool.hex()[:8]} not computed here yet")
    if ours is None:
        return Verdict.REJECT, Outcome(CoverReason.MISMATCH,
                                       f"guardian {msg.guardian} claims a loss of {c.loss}; "
                                       f"our computation finds nothing to confirm")
    diff = differences(ours, c)
    if diff:
        return Verdict.REJECT, Outcome(CoverReason.MISMATCH,
                                       f"guardian {msg.guardian}: " + "; ".join(diff))
    return Verdict.ACCEPT, Outcome(Reason.VALID, "valid breach share")


def validate_bytes(data: bytes, ctx: CoverContext, backend: Backend
                   ) -> tuple[Verdict, Outcome, cover_wire.BreachShare | None]:
    """Never raises."""
    try:
        try:
            msg = cover_wire.decode(data, backend)
        except MessageError as exc:
            return Verdict.REJECT, Outcome(Reason.MALFORMED, f"malformed: {exc}"), None
        verdict, outcome = validate(msg, ctx, backend)
        return verdict, outcome, msg
    except Exception as exc:  # noqa: BLE001 - a validator must never raise
        return (Verdict.REJECT, Outcome(Reason.INTERNAL, f"validation error: {type(exc).__name__}"),
                None)
