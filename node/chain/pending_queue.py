"""The bounded queue of pending transactions waiting for simulation.

Under pressure (a flood of transactions touching a registered protocol is cheap griefing) the
oldest entries are dropped, and each drop is counted. The consumer takes the most valuable entry
first: the highest priority fee (an exploit racing to be first pays for it; a containment must
outbid it anyway); among equal fees, a call of a kind not judged lately before a familiar one,
then the earliest arrival. Entries are deduplicated by transaction hash.

"A kind" is the called address and function selector (a contract creation is always new). A
protocol's everyday traffic repeats a few kinds (deposit, withdraw, swap on its own contracts), and
a burst of it (a bank run, a busy block) would otherwise hold an exploit calling something new (an
attack contract deployed minutes ago, a function nobody calls) behind every transaction that
arrived before it. The order is all this changes: every transaction is still judged, and a
repeated kind only waits behind new ones of the same fee.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import trio

from node.chain.rawtx import RawTx

FAMILIAR_KINDS = 4096  # call kinds remembered as judged lately (oldest forgotten first)


def call_kind(tx: RawTx) -> bytes | None:
    """The called address and function selector; None for a contract creation."""
    return None if tx.to is None else tx.to + tx.data[:4]


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
        self._familiar: OrderedDict[bytes, None] = OrderedDict()  # kinds judged lately
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

    def novel(self, tx: RawTx) -> bool:
        """No call of `tx`'s kind (module doc) was taken from this queue lately."""
        kind = call_kind(tx)
        return kind is None or kind not in self._familiar

    def peek_best(self) -> PendingTx | None:
        if not self._items:
            return None
        return max(self._items.values(),
                   key=lambda p: (p.tx.max_priority_fee, self.novel(p.tx), -p.arrived))

    def pop_best(self) -> PendingTx | None:
        best = self.peek_best()
        if best is None:
            return None
        del self._items[best.tx.hash]
        kind = call_kind(best.tx)
        if kind is not None:
            self._familiar[kind] = None
            self._familiar.move_to_end(kind)
            while len(self._familiar) > FAMILIAR_KINDS:
                self._familiar.popitem(last=False)
        if not self._items:
            self._nonempty = trio.Event()
        return best

    async def wait(self) -> None:
        await self._nonempty.wait()
