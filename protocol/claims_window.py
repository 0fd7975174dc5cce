"""Balance windows that stayed within claims: outflow to accounts taking back their own claims is
volatility, not evidence (the rule over the facts; the node reads them: node/detectors/claims_window.py).

The balance rules (OUTFLOW over `window_blocks`, BALANCE_DROP over one block) see how much a
monitored holder's balance fell, blind to who took it. When the protocol registered a claims view,
the node also knows, for every transaction of the window that moved the token out of the holder,
the EXTRACTION facts of `protocol.intent` (what left the monitored set net, and the takers' own
claims before the transaction). This module decides whether the window is still evidence.

Per transaction `i` of the window, for the holder and the token (`WindowTx`):
- `holder_out`: what left the holder for addresses outside the monitored set, net of what came into
  the holder from outside in the same transaction (a deposit and withdrawal in one transaction
  moves nothing);
- `internal_out`: what the holder sent to other monitored contracts (not an outflow of the
  protocol, and not excused either: nobody's claim covers it);
- `set_out`: the sum of `holder_out` over every monitored holder (to share the excuse);
- `extracted`, `claims`: the transaction's EXTRACTION facts for the token.

A transaction the protocol's registered governance sent excuses all of its `holder_out` (the team
moving its protocol's funds, a migration: `intent.by_governance`). Otherwise the excused part of
`holder_out` is `min(extracted, claims)` (strictly within the claims: the
EXTRACTION tolerance is not excused here, so a drain in steps each under the tolerance still
adds up), shared among the holders the value left in proportion to what each lost. The window's
**unexcused outflow** is the sum over its transactions of `holder_out - excused + internal_out`,
plus whatever part of the balance drop no transaction seen accounts for (value that left without a
Transfer log or call frame the node saw). The window is evidence iff its unexcused outflow breaks
the limit, exactly as its whole drop did before.

Why per-transaction unexcused outflow rather than the window's drop minus the excused value: the
drop is net of deposits, the excuse is not. An account depositing and withdrawing its own money
ten times over excuses ten withdrawals while its deposits cancel them in the drop; subtracted from
the drop, that would hide a real drain of the same size in the same window. Summing what each
transaction took beyond its takers' claims is blind to deposits: honest withdrawals, however many,
add nothing, and a slow drain mixed with them is measured against the limit on its own.

Conservative where the facts are missing: if any transaction that moved the token out of the
holder in the window was not judged (no claims view, no trace, too many transactions), the caller
passes `None` and the window is judged as before (`within_claims` is False).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from protocol import intent

BPS = 10_000


@dataclass(frozen=True)
class WindowTx:
    """One transaction of a balance window, seen from one monitored holder and one token."""

    holder_out: int
    internal_out: int
    set_out: int
    extracted: int
    claims: int
    by_governance: bool = False  # sent by the protocol's registered admin (intent.by_governance)


@dataclass(frozen=True)
class WindowVerdict:
    within_claims: bool  # True: the window is not evidence (its outflow stayed within claims)
    unexcused: int | None  # None: not every transaction was judged
    reason: str


def _holder_net_out(transfers: Sequence[intent.Transfer], inside: set[bytes], holder: bytes,
                    token: bytes) -> int:
    out = sum(t.amount for t in transfers if t.token == token and t.sender == holder
              and t.receiver not in inside)
    came = sum(t.amount for t in transfers if t.token == token and t.receiver == holder
               and t.sender not in inside)
    return max(0, out - came)


def window_tx(transfers: Sequence[intent.Transfer], monitored: Sequence[bytes], holder: bytes,
              token: bytes, extracted: int, claims: int, by_governance: bool = False) -> WindowTx:
    """The part of one transaction (its transfers and its EXTRACTION facts) in `holder`'s window."""
    inside = set(monitored)
    internal = sum(t.amount for t in transfers if t.token == token and t.sender == holder
                   and t.receiver in inside and t.receiver != holder)
    return WindowTx(holder_out=_holder_net_out(transfers, inside, holder, token),
                    internal_out=internal,
                    set_out=sum(_holder_net_out(transfers, inside, h, token) for h in inside),
                    extracted=extracted, claims=claims, by_governance=by_governance)


def excused(tx: WindowTx) -> int:
    """The part of the holder's outflow in `tx` that went to takers within their own claims."""
    if tx.holder_out == 0 or tx.set_out == 0:
        return 0
    if tx.by_governance:  # the team moving its own protocol's funds: all of it
        return tx.holder_out
    budget = min(tx.extracted, tx.claims)
    return min(tx.holder_out, budget * tx.holder_out // tx.set_out)


def unexcused_outflow(before: int, after: int, txs: Sequence[WindowTx]) -> int:
    """What left the holder in the window beyond its takers' claims (see the module doc)."""
    beyond = sum(t.holder_out - excused(t) + t.internal_out for t in txs)
    seen = sum(t.holder_out + t.internal_out for t in txs)
    unseen = max(0, (before - after) - seen)
    return beyond + unseen


def judge_window(before: int, after: int, limit_bps: int,
                 txs: Sequence[WindowTx] | None) -> WindowVerdict:
    """Is a balance window that fell `before -> after` (over `limit_bps`) still evidence once the
    outflow its takers were entitled to is excused? `txs` None: not every transaction judged."""
    if txs is None:
        return WindowVerdict(False, None, "not every transaction of the window was judged")
    left = unexcused_outflow(before, after, txs)
    if before > 0 and left * BPS <= limit_bps * before:
        return WindowVerdict(True, left, f"{before - after} left in {len(txs)} transactions, "
                                         f"{left} of it beyond the takers' own claims, within "
                                         f"{limit_bps} bps")
    return WindowVerdict(False, left, f"{left} left beyond the takers' own claims, over "
                                      f"{limit_bps} bps of {before}")
