"""The bounded queue of pending transactions waiting for simulation.

Under pressure (a flood of transactions touching a registered protocol is cheap griefing) the
oldest entries are dropped, and each drop is counted. The consumer takes the most valuable entry
first: the highest priority fee (an exploit racing to be first pays for it; a containment must
outbid it anyway), then the earliest arrival. Entries are deduplicated by transaction hash.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import trio

from node.chain.rawtx import RawTx


@dataclass(frozen=True)
class PendingTx:
    tx: RawTx
    arrived: float  # trio.current_time() when the transaction's hash reached us


class PendingQueue:
    def __init__(self, capacity: int = 256, metrics=None) -> None:
        self.capacity = capacity
        self.metrics = metrics
        self._items: OrderedDict[bytes, PendingTx] = OrderedDict()  # arrival order
        self._seen: OrderedDict[bytes, None] = OrderedDict()  # hashes already queued once
        self._nonempty = trio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def seen(self, tx_hash: bytes) -> bool:
        return tx_hash in self._seen

    def note_seen(self, tx_hash: bytes) -> None:
        self._seen[tx_hash] = None
        while len(self._seen) > self.capacity * 16:
            self._seen.popitem(last=False)

    def push(self, item: PendingTx) -> None:
        if item.tx.hash in self._items:
            return
        self.note_seen(item.tx.hash)
        self._items[item.tx.hash] = item
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
            self.drop("queue_full")
        self._nonempty.set()

    def drop(self, reason: str) -> None:
        self.dropped += 1
        if self.metrics:
            self.metrics.pending_dropped.labels(reason=reason).inc()

    def peek_best(self) -> PendingTx | None:
        if not self._items:
            return None
        return max(self._items.values(), key=lambda p: (p.tx.max_priority_fee, -p.arrived))

    def pop_best(self) -> PendingTx | None:
        best = self.peek_best()
        if best is None:
            return None
        del self._items[best.tx.hash]
        if not self._items:
            self._nonempty = trio.Event()
        return best

    async def wait(self) -> None:
        await self._nonempty.wait()
