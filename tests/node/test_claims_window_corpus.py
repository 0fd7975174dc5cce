"""The corpus's benign classes that the benchmark still contained on balance evidence
(`whale_exit`, `migration`, `airdrop_rush`), registered the way the benchmark registers them
(limits from history, claims entry), played mined: no detector reports anything on any head of
their event. Without the claims view the balance rules fire on each (the test bites), and without
the governance rule the team's migration is EXTRACTION. One anvil for the file."""

from __future__ import annotations

import dataclasses

import pytest
import trio

from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.view import RpcChainView
from node.detectors import default_detectors
from node.detectors.balance import BalanceDropDetector, OutflowDetector
from node.detectors.extraction import ExtractionDetector
from protocol.bls import get_backend
from protocol.detection import ETHER, EvidenceKind
from protocol.digest import protocol_id

from .corpus_world import corpus_world

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()
CLASSES = ("whale_exit", "migration", "airdrop_rush")
SWAPS = "large_trades"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # set-up and history lie a window before the events
    with corpus_world(tmp_path_factory.mktemp("claims-window-corpus"),
                      "claims-window-corpus", CLASSES + (SWAPS,), settle_blocks=25) as w:
        anvil, chain, oracle, scenarios = w.anvil, w.chain, w.oracle, w.scenarios
        first, last = w.history
        yield {"anvil": anvil, "chain": chain, "oracle": oracle,
               "scenarios": {s.name: s for s in scenarios}, "history": (first, last)}


async def _scan(detectors, view, watched, blocks) -> list:
    return [d.evidence for head in blocks for det in detectors
            for d in await det.scan(view, watched, head)]


@pytest.mark.parametrize("name", CLASSES)
def test_a_benign_event_within_claims_is_no_evidence_on_any_head(world, name):
    chain, scenario = world["chain"], world["scenarios"][name]
    start = chain.head()
    scenario.act()
    chain.next_block(2)
    assert scenario.sent and all(s.ok for s in scenario.sent)  # the event landed
    blocks = range(start + 1, chain.head() + 1)
    pid = protocol_id(bytes.fromhex(scenario.watch().target[2:]))

    async def run():
        rpc = ChainRpc(world["anvil"].rpc_url)
        tracker = RegistryTracker(OracleClient(rpc, world["oracle"]))
        await tracker.on_head(chain.head())
        watched = tracker.watched()[pid]
        assert watched.params.claims is not None
        view = RpcChainView(rpc)
        assert await _scan(default_detectors(), view, watched, blocks) == []
        # without the claims view the balance rules fire on it (the old false containments)
        blind = dataclasses.replace(watched, params=dataclasses.replace(watched.params,
                                                                        claims=None))
        kinds = {ev.kind for ev in await _scan([OutflowDetector(), BalanceDropDetector()],
                                               view, blind, blocks)}
        assert kinds & {EvidenceKind.OUTFLOW, EvidenceKind.BALANCE_DROP}, name
        if name == "migration":  # the team moves 100%; without the governance rule: EXTRACTION
            anyone = dataclasses.replace(watched, params=dataclasses.replace(watched.params,
                                                                             admin=ETHER))
            found = await _scan([ExtractionDetector()], view, anyone, blocks)
            assert [ev.kind for ev in found] == [EvidenceKind.EXTRACTION]
    trio.run(run)


def test_a_swap_venue_registers_no_claims_view_and_its_trades_are_no_evidence(world):
    """A trader's claim on an AMM's output token is zero (it holds no LP shares): with a claims
    view every swap over 0.1% of the reserve was EXTRACTION (the bench paused the AMM on a
    history trade). Registered without one (docs/integrate.md), its history and its large
    trades are no evidence; with the AMM's claimOf registered, a swap is."""
    chain, scenario = world["chain"], world["scenarios"][SWAPS]
    scenario.act()
    chain.next_block(2)
    assert scenario.sent and all(s.ok for s in scenario.sent)
    blocks = range(world["history"][0], chain.head() + 1)
    target = bytes.fromhex(scenario.watch().target[2:])

    async def run():
        rpc = ChainRpc(world["anvil"].rpc_url)
        tracker = RegistryTracker(OracleClient(rpc, world["oracle"]))
        await tracker.on_head(chain.head())
        watched = tracker.watched()[protocol_id(target)]
        assert watched.params.claims is None
        view = RpcChainView(rpc)
        assert await _scan(default_detectors(), view, watched, blocks) == []
        claimed = dataclasses.replace(watched, params=dataclasses.replace(watched.params,
                                                                          claims=target))
        found = await _scan([ExtractionDetector()], view, claimed, blocks)
        assert found and {ev.kind for ev in found} == {EvidenceKind.EXTRACTION}
    trio.run(run)
