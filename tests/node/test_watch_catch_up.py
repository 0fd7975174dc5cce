"""Issue 17, chain outage: heads skip (a busy consumer, a chain connection that came back at the
current head), and the detectors used to judge only the new head, so an exploit mined during an
outage was seen only if a window from the new head still reached it (the fault suite's 30 s outage
outlasts the demo's 20-block outflow window, and the invariant detector finds no "held before" at
the window's far end). Now every missed block is scanned, in order, up to MAX_CATCH_UP_BLOCKS."""

from __future__ import annotations

from node.records import BlockHeader, Watched
from node.status import NodeState
from node.watch_loop import MAX_CATCH_UP_BLOCKS, WatchLoop
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
    await loop.on_head(_head(10))
    await loop.on_head(_head(11))
    await loop.on_head(_head(16))  # 12..15 were never delivered
    assert detector.scanned == [10, 11, 12, 13, 14, 15, 16]
    assert loop.scanned == 16


async def test_the_first_head_does_not_scan_history_and_catch_up_is_bounded():
    detector = _Detector()
    loop = _loop(detector)
    await loop.on_head(_head(5000))
    assert detector.scanned == [5000]
    await loop.on_head(_head(6000))
    assert detector.scanned[1] == 6000 - MAX_CATCH_UP_BLOCKS
    assert len(detector.scanned) == 1 + MAX_CATCH_UP_BLOCKS + 1
