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
    IN_ORDER_SECONDS,
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
    assert loop.scanned == 106 and loop.state.as_dict()["scanned"] == 106


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
    # a second of backlog (two reads), the head, then the rest of the budget
    assert detector.scanned[:3] == [101, 102, 120]
    assert detector.scanned[3:] == list(range(103, 103 + len(detector.scanned) - 3))
    assert 103 <= loop.scanned < 119  # not 120: the backlog is not forgotten
    # /status shows the gap between the head read and the block judged (what a bench waits on)
    assert loop.state.head == 120 and loop.state.as_dict()["scanned"] == loop.scanned
    done = loop.scanned
    detector.scanned.clear()
    await loop.on_head(_head(121))
    assert detector.scanned[0] == done + 1
    assert 120 not in detector.scanned  # judged already, as the newest head of its time


async def test_a_lagging_guardian_judges_the_newest_head_before_its_backlog(autojump_clock):
    """Issue 24: with 16 protocols registered the guardians fell ~60 blocks behind and scanned
    the backlog (3 s a head) before the head, so every head was judged late. Now at most
    IN_ORDER_SECONDS of backlog comes before the newest head, the rest of the budget after it."""
    detector = _SlowDetector()
    loop = _loop(detector)
    await loop.on_head(_head(200))
    detector.scanned.clear()
    detector.slow = True
    start = trio.current_time()
    judged_at: dict[int, float] = {}
    original = detector.scan

    async def timed(view, watched, head):
        await original(view, watched, head)
        judged_at[head] = trio.current_time() - start
        return []

    detector.scan = timed
    await loop.on_head(_head(260))  # 60 blocks behind
    # IN_ORDER_SECONDS of backlog (one read past it), then the head: not after the whole budget
    assert judged_at[260] <= IN_ORDER_SECONDS + 2.0 < CATCH_UP_BUDGET_SECONDS + 2.0
    assert detector.scanned.index(260) < len(detector.scanned) - 1  # the backlog goes on after


async def test_heads_queued_behind_a_busy_loop_are_judged_newest_first():
    """Issue 24: a busy watch loop found eight heads queued and judged them one by one, each
    with its scan, so the newest block waited for seven older ones; now it takes the newest and
    the others are its backlog (scanned in order when few)."""
    detector = _Detector()
    loop = _loop(detector)
    await loop.on_head(_head(300))
    detector.scanned.clear()
    heads_seen: list[int] = []

    class Recording(_Registry):
        async def on_head(self, number):
            heads_seen.append(number)
            return []

    loop.registry = Recording()
    send, recv = trio.open_memory_channel(8)
    for n in (301, 302, 303):
        send.send_nowait(_head(n))
    send.close()
    await loop.run(recv)
    assert heads_seen == [303]  # one head, not three
    assert detector.scanned == [301, 302, 303]  # its short backlog first, in order
    assert loop.header.number == 303


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


class _TwoProtocols(_Registry):
    def watched(self):
        return {pid: Watched(pid, PARAMS, 1 << 1) for pid in (b"\x01" * 32, b"\x02" * 32)}


class _Finding(_Detector):
    """Finds two violations of every protocol on the blocks in `at`."""

    def __init__(self, at):
        super().__init__()
        self.at = set(at)

    async def scan(self, view, watched, head):
        await super().scan(view, watched, head)
        return [(watched.protocol_id, head, k) for k in range(2)] if head in self.at else []


def _opening(loop: WatchLoop) -> list:
    opened: list = []

    async def open_incident(det, name):
        opened.append(det)
        return True  # each opens its protocol's incident

    loop.open_incident = open_incident
    return opened


async def test_one_protocols_incident_does_not_hide_anothers_in_the_same_block():
    """Issue 24: `_detect` stopped at the first incident of a head, so with 16 protocols (the
    benchmark plays 8 classes at once) a second protocol drained in the same block was never
    judged at its block; and an incident in the backlog ended the catch-up and skipped the head
    for every other protocol."""
    detector = _Finding(at={101, 103})
    loop = WatchLoop(registry=_TwoProtocols(), detectors=[detector], view=None,
                     pipeline=_Pipeline(), submitter=None, store=_Store(),
                     state=NodeState(name="g", index=1))
    opened = _opening(loop)
    await loop.on_head(_head(100))
    detector.scanned.clear()
    await loop.on_head(_head(103))  # 101 (backlog) and 103 (head) have findings
    assert [(pid[0], block) for pid, block, _ in opened] == [(1, 101), (2, 101), (1, 103),
                                                            (2, 103)]  # one per protocol each
    assert detector.scanned == [101, 101, 102, 102, 103, 103]
    assert loop.scanned == 103
