"""DILUTION on the corpus, both classes played against one anvil and registered the way the
benchmark registers them: `market_crash`'s liquidations (a liquidator repays a borrower's debt into
the lending market and seizes its collateral: 140,000 USDd paid in, its claims rise by nothing)
are no DILUTION evidence, pending or mined, because the market recorded no deposit (they were
read as a diluted deposit and PAUSEd the market in the benchmark); `inflation`'s victim deposit
(credited zero shares, recorded by the vault's ERC-4626 `Deposit` event) still is, pending and
mined."""

from __future__ import annotations

import pytest
import trio
from web3 import Web3

from node.chain.pending_queue import PendingTx
from node.chain.rawtx import decode_raw_tx
from node.detectors.dilution import DilutionDetector, block_entries, derive_facts
from protocol import dilution
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, Finding
from protocol.digest import protocol_id

from .corpus_world import corpus_world
from .test_extraction_chain import Guardian  # one guardian's chain side, no p2p

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()
CLASSES = ("market_crash", "inflation")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with corpus_world(tmp_path_factory.mktemp("dilution-corpus"), "dilution-corpus", CLASSES) as w:
        anvil, chain, oracle, scenarios = w.anvil, w.chain, w.oracle, w.scenarios
        yield {"url": anvil.rpc_url, "chain": chain, "oracle": oracle,
               "scenarios": {s.name: s for s in scenarios}}


def _play(world, name: str, examine_label: str) -> tuple[list, list]:
    """Play class `name`; each transaction labelled `examine_label` is first examined pending by
    one guardian (its pending loop, every detector), then mined. Returns (pending detections,
    the examined transactions as mined)."""
    chain, scenario = world["chain"], world["scenarios"][name]
    g = Guardian(world["url"], world["oracle"])
    examined: list = []

    def emit(sent, wait=True):
        batch = sent if isinstance(sent, list) else [sent]
        scenario.sent += batch
        for s in batch:
            if s.label.endswith(examine_label):
                raw = bytes(Web3.to_bytes(hexstr=chain.w3.provider.make_request(
                    "eth_getRawTransactionByHash", [s.tx_hash])["result"]))

                async def pending(raw=raw):
                    await g.head()
                    await g.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()),
                                         g.header)
                trio.run(pending)
                examined.append(s)
        if wait:
            chain.settle(batch, must=False)
        return batch

    scenario.emit = emit
    scenario.act()
    chain.settle(examined, must=False)
    return g.pending, examined


def _mined(world, name: str, sent) -> tuple[list, dilution.DilutionFacts]:
    """The dilution detector's scan of the block `sent` landed in, and the facts of `sent`."""
    scenario = world["scenarios"][name]
    pid = protocol_id(bytes.fromhex(scenario.watch().target[2:]))

    async def run():
        g = Guardian(world["url"], world["oracle"])
        await g.head()
        watched = g.registry.watched()[pid]
        assert watched.params.claims is not None
        found = await DilutionDetector().scan(g.view, watched, sent.block)
        flows = await g.view.tx_flows(bytes.fromhex(sent.tx_hash[2:]))
        params = watched.params
        depositors = dilution.depositors_of(flows.sender, flows.to, params.monitored)
        token = bytes.fromhex(scenario.tokens["usd"].address[2:])
        entries = await block_entries(g.view, params, sent.block)
        return found, await derive_facts(g.view, params, flows, token, depositors, entries)
    return trio.run(run)


def test_a_market_crash_liquidation_is_no_dilution_evidence_pending_or_mined(world):
    pending, liquidations = _play(world, "market_crash", "liquidation")
    assert len(liquidations) == 3 and all(s.ok for s in liquidations)
    assert EvidenceKind.DILUTION not in [EvidenceKind(d.evidence.kind) for d in pending]
    for sent in liquidations:
        found, facts = _mined(world, "market_crash", sent)
        assert found == []
        # what the old rule read as an under-credited deposit: paid in, no claim credited, more
        # than half short (the shape of the benchmark's false PAUSE) ...
        assert facts.deposited > 0 and facts.claims_after == facts.claims_before
        assert facts.shortfall * dilution.BPS > dilution.SHORTFALL_BPS * facts.deposited
        # ... but the market recorded no deposit: a repayment, judged no evidence
        assert facts.minted == 0
        assert not dilution.judge_dilution(facts, True).exploit


def test_the_inflation_victims_deposit_is_still_dilution_evidence_pending_and_mined(world):
    pending, deposits = _play(world, "inflation", "victim deposit")
    assert len(deposits) == 1 and deposits[0].ok
    dilutions = [d for d in pending if EvidenceKind(d.evidence.kind) is EvidenceKind.DILUTION]
    assert len(dilutions) == 1 and dilutions[0].verdict.finding is Finding.VIOLATION
    found, facts = _mined(world, "inflation", deposits[0])
    assert [d.verdict.finding for d in found] == [Finding.VIOLATION]
    assert facts.minted == 1 and facts.claims_after == facts.claims_before
    assert found[0].evidence.observed == dilutions[0].evidence.observed
