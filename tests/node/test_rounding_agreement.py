"""The corpus's `rounding` drain (40 withdrawals in one transaction, each burning zero shares),
played against one anvil and registered the way the benchmark registers it: the EXTRACTION facts a
reporter derives from its pending simulation are the ones a peer derives after the drain is mined
(re-simulating the stored base block, with its own fresh view), and the mined path's facts are
the same again. In a benchmark run the peers refused the reporter's facts (38,500 vs 39,386 USDd
extracted): the reporter's simulation had raced anvil mining the drain's block
(tests/node/test_simulate_base.py); this file pins down that nothing else (the facts cache, the
trace, the token set) makes a reporter and a peer disagree on this class."""

from __future__ import annotations

import pytest
import trio
from web3 import Web3

from node.chain.pending_queue import PendingTx
from node.chain.rawtx import decode_raw_tx
from node.detectors.extraction import ExtractionDetector
from protocol import intent
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, Finding

from .corpus_world import corpus_world, one_class, peer_report
from .test_extraction_chain import Guardian  # one guardian's chain side, no p2p

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with corpus_world(tmp_path_factory.mktemp("rounding"), "rounding-agreement", ("rounding",)) as w:
        yield one_class(w)


def test_reporter_and_peer_agree_on_the_rounding_drains_facts_pending_and_mined(world):
    chain, s = world["chain"], world["scenario"]
    drain = chain.send(s.attacker, s.evil.functions.drain(s.calls), gas=5_000_000,
                       label=s.label("drain 1"), harmful=True)  # sent, not mined
    raw = bytes(Web3.to_bytes(hexstr=chain.w3.provider.make_request(
        "eth_getRawTransactionByHash", [drain.tx_hash])["result"]))

    async def run():
        reporter = Guardian(world["url"], world["oracle"])
        base = await reporter.head()
        await reporter.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()),
                                    reporter.header)
        assert [EvidenceKind(d.evidence.kind) for d in reporter.pending] == \
            [EvidenceKind.EXTRACTION]
        pending = reporter.pending[0].evidence
        facts = intent.facts_from_fields(pending.observed, pending.detail)
        assert facts.extracted > 0 and facts.claims == 0
        assert reporter.pending[0].verdict.finding is Finding.VIOLATION

        chain.settle([drain])  # mined on top of the base, alone in its block
        assert drain.block == base + 1 and drain.ok
        peer = Guardian(world["url"], world["oracle"])  # a fresh view, after the drain landed
        head = await peer.head()
        assert head > base
        watched = peer.registry.watched()[world["pid"]]
        await peer.verifier.verify(peer_report(world, pending, watched))  # re-simulated: signs

        await reporter.head()
        mined = await ExtractionDetector().scan(reporter.view, watched, drain.block)
        assert [d.verdict.finding for d in mined] == [Finding.VIOLATION]
        assert mined[0].evidence.detail == pending.detail
        assert mined[0].evidence.observed == pending.observed
        await peer.verifier.verify(peer_report(world, mined[0].evidence, watched))
    trio.run(run)
