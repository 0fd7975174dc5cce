"""A pending transaction's base-block reads in one JSON-RPC batch, before the detectors judge it.

After the simulation the exploit-class detectors read, at the base block, what the simulation
cannot answer: the takers' claims before the transaction, the calling contract's age, the
balances and invariants the facts compare (`node.detectors.extraction.derive_facts`), the
depositors' claims (DILUTION). One by one that was five requests for the devnet's exploit (and
more with several protocols), each a worker-thread hop and about 3 ms of CPU, on the critical path
of the same-block race. Like `node.detectors.prefetch` for heads, this only warms the base view's
cache under the keys the detectors read (`RpcChainView`): their verdicts do not change, and a read
the batch did not answer is made one by one as before. A node that refuses batches is asked one
by one for a while (the base view's `prefetch_paused_until`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from node.chain.pending_view import PendingView
from node.chain.trace import pending_flows
from node.detectors.prefetch import PAUSE_BLOCKS, Prefetched, can_prefetch, fact_keys, warm
from node.records import Watched

log = logging.getLogger(__name__)


def pending_keys(view: PendingView, protocols: Iterable[Watched]) -> list[tuple]:
    """The base-block reads the detectors make about `view`'s transaction for `protocols`."""
    block = view.outcome.block
    flows = pending_flows(view.outcome)
    if flows is None or not flows.ok:
        return []
    keys: list[tuple] = []
    for watched in protocols:
        params = watched.params
        keys += fact_keys(params, flows, block)
        keys += [("balance", token, holder, block - 1)
                 for holder in params.monitored for token in params.tokens]
        keys += [("call", inv.target, inv.data, block - 1) for inv in params.invariants]
    return [k for k in keys if k[-1] < block]  # the simulated block's reads: the simulation's


async def prefetch_pending(view: PendingView, protocols: Iterable[Watched]) -> Prefetched:
    stats = Prefetched()
    base, block = view.base, view.outcome.block
    if not can_prefetch(base) or block < getattr(base, "prefetch_paused_until", 0):
        return stats
    try:
        await warm(base, pending_keys(view, protocols), stats)
    except Exception as exc:  # noqa: BLE001 - advisory: the detectors read one by one instead
        base.prefetch_paused_until = block + PAUSE_BLOCKS
        log.info("batched pending reads at block %d failed (%s); reading one by one until "
                 "block %d", block, str(exc)[:200], block + PAUSE_BLOCKS)
    return stats
