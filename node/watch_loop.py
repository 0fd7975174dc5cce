"""The watch loop: each new head goes to the oracle's registry, then to the detectors, and a
violation becomes a report the pipeline signs and, after this guardian's proposal delay, gossips.

Heads can skip (the head watcher drops heads a busy consumer missed; a lost chain connection
resumes at the current head), so the detectors also scan every block since the last one scanned,
up to MAX_CATCH_UP_BLOCKS (and, at start, the STARTUP_CATCH_UP_BLOCKS before the first head): an
exploit mined during an RPC outage or a restart is judged at its own block, not only through
whatever window still reaches it from the new head. The backlog is scanned oldest first, before
the head for at most IN_ORDER_SECONDS (a skipped head or two: all of it), the rest of a budget per
head after it, so a guardian that fell behind still judges the newest block within about a second.
Heads that queued while a head was scanned are not judged one by one: the newest is, the others
are backlog. One protocol's incident does not stop the scan of the others.

    heads ──> registry (events, containments) ──> detectors ──> pipeline ──> propose (delayed)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio

from node.chain.registry import RegistryTracker
from node.detectors import Detector, report_order
from node.detectors.prefetch import prefetch
from node.pipeline import IncidentPipeline
from node.records import BlockHeader, ChainView
from node.status import NodeState
from node.store import Store, incident_key, incident_nonce
from node.submitter import Submitter
from protocol import messages
from protocol.submission import proposal_delay

log = logging.getLogger("guardian.daemon")

MAX_CATCH_UP_BLOCKS = 256  # older blocks than this behind the head are not scanned again
STARTUP_CATCH_UP_BLOCKS = 64  # scanned before the first head: what a restart missed
CATCH_UP_BUDGET_SECONDS = 3.0  # of catch-up per head; the rest at the next heads
IN_ORDER_SECONDS = 1.0  # of that budget before the newest head (the rest after it)


def newest(header: BlockHeader, heads: trio.MemoryReceiveChannel[BlockHeader]) -> BlockHeader:
    """The newest of `header` and the heads queued behind it (those become backlog): a loop
    that fell behind judges the chain as it is now, not eight heads ago."""
    while True:
        try:
            queued = heads.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel):
            return header
        if queued.number > header.number:
            header = queued


class WatchLoop:
    def __init__(self, *, registry: RegistryTracker, detectors: Sequence[Detector],
                 view: ChainView, pipeline: IncidentPipeline, submitter: Submitter, store: Store,
                 state: NodeState, metrics=None) -> None:
        self.registry = registry
        self.detectors = report_order(list(detectors))  # exploit class, EXTRACTION, first
        self.view = view
        self.pipeline = pipeline
        self.submitter = submitter
        self.store = store
        self.state = state
        self.metrics = metrics
        self.header: BlockHeader | None = None
        self.scanned: int | None = None  # the last block the detectors scanned
        self._ahead: set[int] = set()  # newest heads scanned before their backlog
        self._nursery: trio.Nursery | None = None

    def chain_time(self) -> int | None:
        """The timestamp of the latest head: the chain's clock, which deadlines are measured in."""
        return self.header.timestamp if self.header is not None else None

    async def run(self, heads: trio.MemoryReceiveChannel[BlockHeader]) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            async for header in heads:
                await self.on_head(newest(header, heads))

    async def on_head(self, header: BlockHeader) -> None:
        self.header = header
        self.state.head = header.number
        if self.metrics:
            self.metrics.head.set(header.number)
        try:
            events = await self.registry.on_head(header.number)
        except Exception as exc:  # noqa: BLE001 - RPC trouble: try again next head
            log.warning("registry update at block %d failed: %s", header.number, exc)
            return
        for name in events:
            log.info("oracle event %s at block <= %d", name, header.number)
        self._note_containments()
        self.state.protocols = len(self.registry.watched())
        self.state.failed_containments = {
            "0x" + pid.hex(): failure for pid, failure in self.registry.failed_hooks.items()
            if pid in self.registry.watched() and self.registry.watched()[pid].failed_action}
        if self.metrics:
            self.metrics.failed_containments.set(len(self.state.failed_containments))
        self.state.contained_protocols = sorted(
            "0x" + pid.hex() for pid, w in self.registry.watched().items() if w.contained)
        await self.pipeline.on_head(header.number)
        head = header.number
        # The backlog first, oldest first (each block judged at its own height, as the peers
        # judged it); a long one only for IN_ORDER_SECONDS, then the newest head, then the rest
        # of the budget. At start the whole budget first: a restarted guardian judges an
        # exploit at its own block and signs its peers' digest.
        before = CATCH_UP_BUDGET_SECONDS if self.scanned is None else IN_ORDER_SECONDS
        await self._catch_up(head, before)
        await self._detect(head)
        if self.scanned is not None and self.scanned < head - 1:
            self._ahead.add(head)  # judged before its backlog: not again in the catch-up
            await self._catch_up(head, CATCH_UP_BUDGET_SECONDS - before)
        if self.scanned is None or self.scanned >= head - 1:
            self.scanned = head  # else the catch-up goes on at the next head
        self.state.scanned = self.scanned or 0
        self._ahead = {b for b in self._ahead if b > self.scanned}

    async def _catch_up(self, head: int, budget: float = CATCH_UP_BUDGET_SECONDS) -> bool:
        """Scan the blocks between the last scanned one and `head` (both excluded), oldest first,
        for at most `budget` seconds (`on_head` splits CATCH_UP_BUDGET_SECONDS around the head);
        at start, the STARTUP_CATCH_UP_BLOCKS before the first head, so that a guardian
        restarted during an incident judges the exploit at its own block, as its peers did, and
        signs their digest rather than a later one of its own. At most CATCH_UP_BUDGET_SECONDS
        per head: with a slow chain connection the backlog is worked off over the next heads,
        and each head is still judged as it comes. An incident opened in the backlog does not
        end it: other protocols may have theirs in the next blocks (the pipeline reports an
        incident once). True if it opened an incident."""
        last = self.scanned if self.scanned is not None else head - STARTUP_CATCH_UP_BLOCKS - 1
        if head <= last + 1 or budget <= 0:
            return False
        first = max(last + 1, head - MAX_CATCH_UP_BLOCKS, 1)
        log.info("catching up: scanning blocks %d..%d missed before head %d", first, head - 1,
                 head)
        deadline = trio.current_time() + budget
        opened = False
        for block in range(first, head):
            if block not in self._ahead:  # else scanned as the newest head of its time
                opened |= await self._detect(block, quiet=True)
            self.scanned = self.state.scanned = block
            if trio.current_time() > deadline:
                break
        return opened

    def _note_containments(self) -> None:
        """Close the incidents whose nonce the oracle has consumed (someone's authorize landed,
        whatever its hook did), and only those: an incident is (protocol, nonce), so a report
        signed for the next nonce stays open for the next containment."""
        for pid, watched in self.registry.watched().items():
            for incident in self.store.open_incidents_of(pid):
                if incident_nonce(incident) < watched.nonce:
                    for stored in self.store.reports_for(incident):
                        self.submitter.contained(stored.digest)
                    self.store.mark_contained(incident, None, self.state.head)

    async def _detect(self, head: int, quiet: bool = False) -> bool:
        """Scan block `head`; True if it opened an incident. One report per protocol per head
        (the first detection in report order that opens one); the other protocols are still
        judged: two protocols drained in one block are two incidents.
        `quiet`: a past block (catch-up), where reads fail as a rule before a protocol existed.
        The reads every protocol's detectors make at `head` are first batched for all of them
        (`node.detectors.prefetch`): the detectors then find them in the view's cache."""
        await prefetch(self.view, self.registry.watched().values(), head)
        opened = False
        for watched in list(self.registry.watched().values()):
            if watched.contained:
                continue
            results = await self._scan_all(watched, head, quiet)
            if await self._report_first(results):
                opened = True
        return opened

    async def _report_first(self, results: list[list]) -> bool:
        """Open an incident with the first of one protocol's detections that opens one."""
        for detector, found in zip(self.detectors, results, strict=True):
            for det in found:
                if await self.open_incident(det, detector.name):
                    return True
        return False

    async def _scan_all(self, watched, head: int, quiet: bool) -> list[list]:
        """Every detector's findings at `head`, in detector order. The detectors run at once:
        each waits on its own chain reads, so with a slow RPC endpoint (2 s an answer in the
        fault suite) a head costs the slowest detector, not the sum of them (issue 17)."""
        results: list[list] = [[] for _ in self.detectors]

        async def scan(k: int, detector) -> None:
            try:
                results[k] = await detector.scan(self.view, watched, head)
            except Exception as exc:  # noqa: BLE001 - a failing read skips this head only
                (log.debug if quiet else log.warning)("%s detector failed at block %d: %s",
                                                      detector.name, head, exc)

        async with trio.open_nursery() as nursery:
            for k, detector in enumerate(self.detectors):
                nursery.start_soon(scan, k, detector)
        return results

    async def open_incident(self, det, detector_name: str) -> bool:
        """A detection (from a head, or from a pending transaction: `node.pending_loop`) becomes
        our report, proposed after our delay; False if the incident is covered already."""
        report = await self.pipeline.on_detection(det)
        if report is None or self._nursery is None:
            return False
        self.state.incidents[report.incident_id.hex()] = {
            "protocol": "0x" + det.protocol_id.hex(), "kind": detector_name,
            "block": det.evidence.block_to, "reason": det.verdict.reason,
            "pending": det.evidence.pending is not None}
        self._nursery.start_soon(self._propose, report)
        return True

    async def _propose(self, report: messages.Report) -> None:
        delay = proposal_delay(incident_key(report.protocol_id, report.nonce), self.state.index,
                               self.state.live())
        published = await self.pipeline.propose(report, delay)
        self.state.incidents[report.incident_id.hex()]["report_published"] = published
