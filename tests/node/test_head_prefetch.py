"""Issue 24, head cost: with 16 protocols registered each head cost ~180 RPC requests (three
`eth_getLogs` per protocol, its balances and invariants, a receipt and a trace per transaction,
the facts' claims reads) and four guardians on two cores fell ~60 blocks behind 2 s blocks. The
watch loop now batches one head's reads for every protocol (`node.detectors.prefetch`).

Proved here on corpus protocols registered as the benchmark registers them (one anvil for the
file): the requests of a head do not grow with the number of protocols, and the detections
(exploits mined, benign traffic) are exactly those the one-by-one reads make, and re-observe on a
node that never prefetched."""

from __future__ import annotations

from collections import Counter

import pytest
import trio

from node.bench.watch_corpus import CountingRpc
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.view import RpcChainView
from node.detectors import default_detectors, detector_for
from node.status import NodeState
from node.watch_loop import WatchLoop
from protocol.bls import get_backend
from protocol.detection import EvidenceKind

from .corpus_world import corpus_world

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()
EXPLOITS = ("access_control", "oracle_flash", "inflation")
BENIGN = ("whale_exit",)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # set-up and history lie a window before the events
    with corpus_world(tmp_path_factory.mktemp("head-prefetch"),
                      "head-prefetch", EXPLOITS + BENIGN, settle_blocks=25) as w:
        anvil, chain, oracle, scenarios = w.anvil, w.chain, w.oracle, w.scenarios
        yield {"anvil": anvil, "chain": chain, "oracle": oracle,
               "scenarios": scenarios}


class _Registry:
    def __init__(self, watched: dict) -> None:
        self._watched = watched

    def watched(self) -> dict:
        return self._watched


class _Pipeline:
    """Records every detection and opens nothing, so every protocol of a head is scanned."""

    def __init__(self) -> None:
        self.found: list = []

    async def on_detection(self, det):
        self.found.append(det)


async def _watched(world) -> dict:
    tracker = RegistryTracker(OracleClient(ChainRpc(world["anvil"].rpc_url), world["oracle"]))
    await tracker.on_head(world["chain"].head())
    return tracker.watched()


async def _loop_scan(world, watched: dict, block: int) -> tuple[list, CountingRpc]:
    """What the watch loop (prefetch, then every detector) finds at `block` on a fresh node."""
    rpc = CountingRpc(world["anvil"].rpc_url)
    pipeline = _Pipeline()
    loop = WatchLoop(registry=_Registry(watched), detectors=default_detectors(),
                     view=RpcChainView(rpc), pipeline=pipeline, submitter=None, store=None,
                     state=NodeState(name="t", index=1))
    await loop._detect(block)
    return pipeline.found, rpc


async def _one_by_one(world, watched: dict, block: int) -> list:
    """What the detectors find at `block` reading one by one (no prefetch), protocol by
    protocol, on another fresh node."""
    view = RpcChainView(ChainRpc(world["anvil"].rpc_url))
    found = []
    for w in watched.values():
        for detector in WatchLoop(registry=None, detectors=default_detectors(), view=None,
                                  pipeline=None, submitter=None, store=None,
                                  state=None).detectors:
            found += await detector.scan(view, w, block)
    return found


def _key(det) -> tuple:
    ev = det.evidence
    return (det.protocol_id, ev.kind, ev.block_from, ev.block_to, ev.subject, ev.observed,
            ev.detail, det.verdict.violated)


def test_a_head_costs_the_same_requests_for_one_protocol_or_four(world):
    chain = world["chain"]
    for _ in range(3):  # deposits and withdrawals of every protocol in each block
        sent = [s for scenario in world["scenarios"] for s in scenario.traffic()]
        chain.mine()
        chain.settle(sent, must=False)
    assert sent

    async def run():
        watched = await _watched(world)
        one = dict(list(watched.items())[:1])
        for block in range(chain.head() - 2, chain.head() + 1):
            _, alone = await _loop_scan(world, one, block)
            _, together = await _loop_scan(world, watched, block)
            # a batch of logs + balances + invariants, one of receipts + traces, one of claims
            assert together.requests <= 3, (block, together.calls)
            assert together.requests <= alone.requests + 2
            batched = Counter(m for m in together.calls if m.endswith("(batched)"))
            assert together.calls["eth_getLogs (batched)"] == 1  # not three per protocol
            assert sum(together.calls[m] for m in batched) > len(watched)
    trio.run(run)


def test_prefetched_heads_judge_exactly_as_one_by_one_reads(world):
    chain = world["chain"]
    start = chain.head()
    for scenario in world["scenarios"]:
        if scenario.name in EXPLOITS:
            scenario.act()
            chain.next_block()
    assert any(s.ok for s in world["scenarios"][0].harmful_txs())

    async def run():
        watched = await _watched(world)
        kinds = set()
        for block in range(start + 1, chain.head() + 1):
            batched, _ = await _loop_scan(world, watched, block)
            plain = await _one_by_one(world, watched, block)
            assert sorted(map(_key, batched)) == sorted(map(_key, plain)), block
            fresh = RpcChainView(ChainRpc(world["anvil"].rpc_url))
            for det in batched:  # a peer that never prefetched re-observes it
                await detector_for(det.evidence.kind).reobserve(
                    fresh, det.evidence, watched[det.protocol_id].params)
            kinds |= {det.evidence.kind for det in batched}
        assert EvidenceKind.EXTRACTION in kinds, kinds  # the exploits were seen: the test bites
        assert EvidenceKind.DILUTION in kinds, kinds  # the inflation victim's deposit
    trio.run(run)
