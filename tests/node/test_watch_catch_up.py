"""Issue 17, chain outage: heads skip (a busy consumer, a chain connection that came back at the
current head), and the detectors used to judge only the new head, so an exploit mined during an
outage was seen only if a window from the new head still reached it (the fault suite's 30 s outage
outlasts the demo's 20-block outflow window, and the invariant detector finds no "held before" at
the window's far end). Now every missed block is scanned, in order, up to MAX_CATCH_UP_BLOCKS."""

from __future__ import annotations

import trio

from node.records import BlockHeader, Watched
from node.status import NodeState
from node.watch_loop import (
    CATCH_UP_BUDGET_SECONDS,
    MAX_CATCH_UP_BLOCKS,
    STARTUP_CATCH_UP_BLOCKS,
    WatchLoop,
)
from protocol.detection import DetectionParams

PID = b"\x42" * 32
PARAMS = DetectionParams(monitored=(), tokens=(), outflow_limit_bps=0, window_blocks=0,
                         balance_drop_bps=0, invariants=())


class _Registry:
    async def on_head(self, number):
        return []

    def watched(self):
        return {PID: Watched(PID, PARAMS, 1 << 1)}

    failed_hooks: dict = {}


class _Pipeline:
    async def on_head(self, number):
        pass

    async def on_detection(self, det):
        return None  # a detection that opens nothing


class _Detector:
    name = "recording"

    def __init__(self):
        self.scanned: list[int] = []

    async def scan(self, view, watched, head):
        self.scanned.append(head)
        return []


class _Store:
    def open_incidents_of(self, pid):
        return []


def _loop(detector) -> WatchLoop:
    return WatchLoop(registry=_Registry(), detectors=[detector], view=None, pipeline=_Pipeline(),
                     submitter=None, store=_Store(), state=NodeState(name="g", index=1))


def _head(n: int) -> BlockHeader:
    return BlockHeader(n, n.to_bytes(32, "big"), 1_700_000_000 + n)


async def test_missed_blocks_are_scanned_in_order_before_the_new_head():
    detector = _Detector()
    loop = _loop(detector)
    await loop.on_head(_head(100))
    detector.scanned.clear()
    await loop.on_head(_head(101))
    await loop.on_head(_head(106))  # 102..105 were never delivered
    assert detector.scanned == [101, 102, 103, 104, 105, 106]
    assert loop.scanned == 106


async def test_a_start_scans_the_recent_past_and_catch_up_is_bounded():
    """Issue 17, restart storm: a guardian restarted mid-incident judged the drain only from its
    first head, with other evidence than its peers', and signed another digest."""
    detector = _Detector()
    loop = _loop(detector)
    await loop.on_head(_head(5000))
    assert detector.scanned == list(range(5000 - STARTUP_CATCH_UP_BLOCKS, 5001))
    detector.scanned.clear()
    await loop.on_head(_head(6000))
    assert detector.scanned[0] == 6000 - MAX_CATCH_UP_BLOCKS
    assert len(detector.scanned) == MAX_CATCH_UP_BLOCKS + 1
    young = _Detector()  # a chain younger than the window: from block 1
    await _loop(young).on_head(_head(10))
    assert young.scanned == list(range(1, 11))


class _SlowDetector(_Detector):
    slow = False

    async def scan(self, view, watched, head):
        if self.slow:
            await trio.sleep(1.0)  # a chain connection with a second of latency per read
        return await super().scan(view, watched, head)


async def test_a_slow_chain_works_the_backlog_off_over_the_next_heads(autojump_clock):
    """Issue 17, chain delay: with 2 s per read, scanning a whole backlog before the head kept
    the node minutes behind the chain. The catch-up has a budget per head; the head is still
    judged, and the backlog continues at the next head."""
    detector = _SlowDetector()
    loop = _loop(detector)
    await loop.on_head(_head(100))
    detector.scanned.clear()
    detector.slow = True
    await loop.on_head(_head(120))  # 101..119 missed
    budget = int(CATCH_UP_BUDGET_SECONDS) + 1
    assert detector.scanned == [*range(101, 101 + budget), 120]
    assert loop.scanned == 100 + budget  # not 120: the backlog is not forgotten
    detector.scanned.clear()
    await loop.on_head(_head(121))
    assert detector.scanned[0] == 101 + budget


async def test_detectors_read_at_once_and_a_failing_one_skips_only_itself(autojump_clock):
    """Issue 17, chain delay: the detectors' reads were made one after another, so with 2 s per
    answer every head cost the sum of them; now they run at once, results in detector order."""

    class Failing(_SlowDetector):
        async def scan(self, view, watched, head):
            await trio.sleep(1.0)
            raise RuntimeError("RPC down")

    slow = [_SlowDetector() for _ in range(3)]
    for d in slow:
        d.slow = True
    loop = WatchLoop(registry=_Registry(), detectors=[slow[0], Failing(), *slow[1:]], view=None,
                     pipeline=_Pipeline(), submitter=None, store=_Store(),
                     state=NodeState(name="g", index=1))
    start = trio.current_time()
    assert await loop._detect(50) is False
    assert trio.current_time() - start < 1.5  # not 4 s
    assert [d.scanned for d in slow] == [[50], [50], [50]]
