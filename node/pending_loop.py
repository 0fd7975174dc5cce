"""The pending loop: each pending transaction is simulated on the latest head and judged by the
same detectors as mined blocks, one block earlier; a violation opens the incident at once.

    PendingWatcher ──> PendingQueue ──> simulate on head (node.chain.simulate)
        ──> detectors on PendingView at head + 1 ──> pipeline (evidence carries the raw tx)

Bounded: at most `max_per_block` simulations per head, `AT_ONCE` at a time, the most valuable
transaction first (`PendingQueue`; past the budget, only one paying more than every transaction
judged on this head); the loop runs in its own tasks with its own RPC client, so block-driven
detection never waits for it.
Transactions from a protocol's registered governance, and transactions that revert in simulation,
never count. Only exploit-class detectors judge a pending transaction (volatility is judged on
mined blocks only), and a transaction that only returns its sender its own claims (a registered
claims view says so) is never evidence: the guardians do not front-run a user's own money.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import trio

from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.pending_view import PendingView
from node.chain.rawtx import RawTx
from node.chain.simulate import Simulator, reads_for
from node.detectors import Detector, report_order
from node.detectors.base import Detection
from node.detectors.extraction import returns_own_claims
from node.detectors.prefetch_pending import prefetch_pending
from node.records import BlockHeader, ChainView, Watched
from node.stages import StageClock, unix_of
from node.store import incident_key
from protocol.detection import Shape, shape_of
from protocol.pending import MAX_RAW_TX_BYTES, PendingContext, next_block_time

log = logging.getLogger("guardian.pending")
# Simulations in flight at once (each its own task; the node's RPC client has as many threads).
AT_ONCE = 2


class PendingLoop:
    def __init__(self, *, queue: PendingQueue, simulator: Simulator, view: ChainView,
                 detectors: Sequence[Detector], header: Callable[[], BlockHeader | None],
                 watched: Callable[[], dict[bytes, Watched]], on_detection,
                 max_per_block: int, metrics=None, stages: StageClock | None = None,
                 on_creation: Callable[[RawTx], None] | None = None) -> None:
        self.queue = queue
        self.simulator = simulator
        self.view = view
        self.detectors = report_order(list(detectors))  # EXTRACTION first (node.detectors)
        self.header = header
        self.watched = watched
        self.on_detection = on_detection  # async (Detection, detector name) -> bool (opened)
        self.max_per_block = max_per_block
        self.metrics = metrics
        self.stages = stages
        self.on_creation = on_creation  # node.prepared_loop: a pending contract creation
        self.simulated = 0
        self._budget: tuple[int, int] = (-1, 0)  # (head, simulations spent on it)
        self._top_tip = -1  # the highest priority fee judged on the budget's head
        self._sim_time: tuple[bytes, int] = (b"", 0)  # (head hash, its next block's timestamp)

    async def run(self) -> None:
        """Take the most valuable transaction whenever one of `AT_ONCE` slots is free and judge
        it in its own task: a burst's last transaction does not wait for every simulation before
        it to finish one by one (most of a simulation's time is the node's and the wire's)."""
        slots = trio.Semaphore(AT_ONCE)
        async with trio.open_nursery() as nursery:
            while True:
                await self.queue.wait()
                await slots.acquire()  # the choice is made when a slot is free: best then
                try:
                    picked = await self._pick()
                except BaseException:
                    slots.release()
                    raise
                if picked is None:
                    slots.release()
                    continue
                nursery.start_soon(self._judge, *picked, slots)

    async def _pick(self) -> tuple[PendingTx, BlockHeader] | None:
        """The next transaction to judge and the head to judge it on, or None (nothing to do now:
        no head yet, or this head's budget spent; waits a little in both cases)."""
        header = self.header()
        if header is None:
            await trio.sleep(0.05)
            return None
        head, spent = self._budget
        if head != header.number:
            head, spent = header.number, 0
        top = self._top_tip if head == self._budget[0] else -1
        best = self.queue.peek_best()
        if spent >= self.max_per_block and (best is None or best.tx.max_priority_fee <= top):
            # The budget of this head is spent: only a transaction paying more than every one
            # judged on this head goes ahead (a flood must outbid an exploit to delay it,
            # and pays for it when included); the rest wait for the next head.
            while (h := self.header()) is not None and h.number == head \
                    and not self._outbids(top):
                await trio.sleep(0.02)
            return None
        item = self.queue.pop_best()
        if item is None:
            return None
        self._budget = (head, spent + 1)
        self._top_tip = max(top, item.tx.max_priority_fee)
        return item, header

    async def _judge(self, item: PendingTx, header: BlockHeader, slots: trio.Semaphore) -> None:
        try:
            await self.examine(item, header)
        except Exception as exc:  # noqa: BLE001 - one transaction's trouble skips it only
            # debug, not warning: a flood of odd transactions must not flood the log too
            log.debug("pending 0x%s not judged: %s", item.tx.hash.hex()[:12], exc)
            self._count("error")
        finally:
            slots.release()

    async def _next_block_time(self, header: BlockHeader) -> int:
        """`protocol.pending.next_block_time` for this head: one read of its parent per head."""
        if self._sim_time[0] != header.hash:
            parent = await self.simulator.rpc.header(header.number - 1)
            self._sim_time = (header.hash, next_block_time(header.timestamp, parent.timestamp))
        return self._sim_time[1]

    def _mark(self, incident: bytes, item: PendingTx, started: float, simulated: float) -> None:
        if self.stages is None:
            return
        now = trio.current_time()
        for stage, at in (("pending_arrived", item.arrived), ("simulation_started", started),
                          ("simulated", simulated), ("verdict", now)):
            self.stages.mark(incident, stage, unix_of(at, now))

    def _outbids(self, top: int) -> bool:
        best = self.queue.peek_best()
        return best is not None and best.tx.max_priority_fee > top

    def _count(self, result: str) -> None:
        if self.metrics:
            self.metrics.pending_simulations.labels(result=result).inc()

    async def examine(self, item: PendingTx, header: BlockHeader) -> list[Detection]:
        """Simulate `item` on `header` and open an incident for each violation it shows."""
        if item.tx.to is None and self.on_creation is not None:
            self.on_creation(item.tx)  # its probes run in the preparation watch's own task
        if len(item.tx.raw) > MAX_RAW_TX_BYTES:  # a creation (pending.py drops the others):
            self._count("too_large")  # no report could carry it; the preparation watch probes it
            return []
        watched = [w for w in self.watched().values()
                   if not w.contained and item.tx.sender != w.params.admin]
        if not watched:
            return []
        started = trio.current_time()
        sim_time = await self._next_block_time(header)
        if not await self.simulator.next_nonce(item.tx, header):
            self._count("stale")  # mined already, or queued behind another of its sender's
            return []
        reads = reads_for(watched, (item.tx.sender, item.tx.to))  # + its depositors' claims
        outcome = await self.simulator.simulate(item.tx, header, sim_time, reads)
        simulated = trio.current_time()
        self.simulated += 1
        if self.metrics:
            self.metrics.pending_verdict_seconds.observe(trio.current_time() - item.arrived)
        if not outcome.ok:
            self._count("reverted")
            return []
        self._count("ok")
        view = PendingView(self.view, outcome)
        context = PendingContext(item.tx.raw, header.hash, sim_time)
        # a protocol whose registered reads and logs it does not change: not evidence about it
        touched = [w for w in watched if outcome.touches(w)]
        if touched:
            await prefetch_pending(view, touched)  # the detectors' base reads, one request
        found: list[Detection] = []
        for w in touched:
            if await returns_own_claims(view, w.params, item.tx.hash):
                self._count("own_claims")  # the sender taking back its own: never evidence
                continue
            for detector in self.detectors:
                if detector.kind is not None and shape_of(detector.kind) is not Shape.EXPLOIT:
                    continue  # volatility is judged on mined blocks only
                try:
                    dets = await detector.scan(view, w, outcome.block)
                except Exception as exc:  # noqa: BLE001 - a failing read skips this detector
                    log.debug("%s on pending 0x%s failed: %s", detector.name,
                              item.tx.hash.hex()[:12], exc)
                    continue
                for det in dets:
                    det = Detection(det.protocol_id,
                                    dataclasses.replace(det.evidence, pending=context),
                                    det.verdict)
                    found.append(det)
                    self._mark(incident_key(w.protocol_id, w.nonce), item, started, simulated)
                    log.info("pending tx 0x%s would violate %s on 0x%s (arrived %.0f ms ago)",
                             item.tx.hash.hex()[:12], detector.name, w.protocol_id.hex()[:12],
                             (trio.current_time() - item.arrived) * 1000)
                    if await self.on_detection(det, detector.name):
                        break
                else:
                    continue
                break
        return found
