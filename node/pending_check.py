"""Re-simulating a peer's pending evidence on this node before signing it: the same raw
transaction on the same base block (same hash) with the same next-block environment must show
the same observations. Everything in the evidence is untrusted: a raw transaction that does not
decode, a base block this node does not know (or knows with another hash), a simulated timestamp
out of range, a transaction from the protocol's governance or one that reverts, volatility-class evidence
(judged on mined blocks only), a transaction that only returns its sender its own claims, all raise
`PendingNotConfirmed` naming the problem."""

from __future__ import annotations

from node.chain.decode import ChainError
from node.chain.pending_view import PendingView
from node.chain.rawtx import RawTxError, decode_raw_tx
from node.chain.simulate import Simulator, reads_for
from node.detectors.extraction import returns_own_claims
from node.errors import NodeError
from node.records import ChainView, Watched
from protocol.detection import EvidenceKind, Shape, evidence_shape
from protocol.evidence import Evidence
from protocol.pending import MAX_SIM_SECONDS, base_block, sim_time_ok


class PendingNotConfirmed(NodeError):
    """Our simulation of a peer's pending evidence does not confirm it; the message says why."""


async def pending_view(ev: Evidence, watched: Watched, view: ChainView,
                       simulator: Simulator | None) -> PendingView:
    """The view "after" the evidence's pending transaction, simulated on our own node."""
    ctx = ev.pending
    if ctx is None:
        raise PendingNotConfirmed("not pending evidence")
    if simulator is None:
        raise PendingNotConfirmed("this node does not simulate pending transactions")
    number = base_block(ev.block_to)
    try:
        tx = decode_raw_tx(ctx.raw_tx)
    except RawTxError as exc:
        raise PendingNotConfirmed(str(exc)) from exc
    if tx.sender == watched.params.admin:
        raise PendingNotConfirmed("the pending transaction is the protocol governance's own")
    try:
        header = await simulator.rpc.header(number)
    except ChainError as exc:
        raise PendingNotConfirmed(f"base block {number} unknown to our node: {exc}") from exc
    if header.hash != ctx.base_hash:
        raise PendingNotConfirmed(f"base block {number} is 0x{header.hash.hex()[:12]} on our "
                                  f"chain, the evidence says 0x{ctx.base_hash.hex()[:12]}")
    if not sim_time_ok(header.timestamp, ctx.sim_time):
        raise PendingNotConfirmed(f"simulated timestamp {ctx.sim_time} is not within "
                                  f"{MAX_SIM_SECONDS}s after block {number}")
    try:
        if not await simulator.next_nonce(tx, header):
            raise PendingNotConfirmed(f"the pending transaction is not its sender's next one at "
                                      f"block {number}")
        reads = reads_for([watched], (tx.sender, tx.to))
        outcome = await simulator.simulate(tx, header, ctx.sim_time, reads)
    except ChainError as exc:
        raise PendingNotConfirmed(f"could not simulate: {exc}") from exc
    if not outcome.ok:
        raise PendingNotConfirmed(f"the pending transaction reverts in simulation: "
                                  f"{outcome.reason}")
    if not outcome.touches(watched):
        raise PendingNotConfirmed("the pending transaction changes nothing the protocol "
                                  "registered")
    if evidence_shape(ev) is not Shape.EXPLOIT:
        raise PendingNotConfirmed(f"pending evidence must be exploit-class; "
                                  f"{EvidenceKind(ev.kind).name} is judged on mined blocks only")
    after = PendingView(view, outcome)
    try:
        own = await returns_own_claims(after, watched.params, tx.hash)
    except ChainError as exc:
        raise PendingNotConfirmed(f"could not read the claims: {exc}") from exc
    if own:
        raise PendingNotConfirmed("the pending transaction only returns its sender its own "
                                  "claims: never evidence")
    return after
