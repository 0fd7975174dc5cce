"""The corpus's one-transaction exploits that also break a registered invariant (`access_control`:
a stranger sweeps CorpusBank, `isBacked()` breaks; `oracle_flash`: flash loan, pump, borrow all of
CorpusLending's cash, `isSolvent()` breaks) are EXTRACTION evidence judged a VIOLATION, on the
pending path (what the pending loop reports: it keeps only the first detection a transaction opens,
and INVARIANT used to come first and hide it) and on the mined path. One anvil, one oracle, both
protocols registered the way the benchmark registers them (limits from history, claims entry)."""

from __future__ import annotations

import pytest
import trio
from web3 import Web3

from node.chain.oracle import OracleClient
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.detectors import default_detectors
from node.detectors.extraction import ExtractionDetector
from node.pending_loop import PendingLoop
from protocol import intent
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, Finding
from protocol.digest import protocol_id

from .corpus_world import corpus_world, held_back

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()
CLASSES = ("access_control", "oracle_flash")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with corpus_world(tmp_path_factory.mktemp("extraction-corpus"), "extraction-corpus", CLASSES) as w:
        anvil, chain, oracle, scenarios = w.anvil, w.chain, w.oracle, w.scenarios
        yield {"anvil": anvil, "chain": chain, "oracle": oracle,
               "scenarios": {s.name: s for s in scenarios}}


@pytest.mark.parametrize("name", CLASSES)
def test_a_one_transaction_exploit_is_extraction_evidence_pending_and_mined(world, name):
    chain, scenario = world["chain"], world["scenarios"][name]
    harmful = [s for s in held_back(scenario) if s.harmful]
    assert len(harmful) == 1
    raw = bytes(Web3.to_bytes(hexstr=chain.w3.provider.make_request(
        "eth_getRawTransactionByHash", [harmful[0].tx_hash])["result"]))
    pid = protocol_id(bytes.fromhex(scenario.watch().target[2:]))

    async def run():
        rpc = ChainRpc(world["anvil"].rpc_url)
        tracker = RegistryTracker(OracleClient(rpc, world["oracle"]))
        view = RpcChainView(rpc)
        header = await rpc.header("latest")
        await tracker.on_head(header.number)
        watched = tracker.watched()[pid]
        assert watched.params.claims is not None and len(watched.params.invariants) == 1
        opened: list = []

        async def open_incident(det, _name):  # as node.watch_loop does: the first one opens
            opened.append(det)
            return True

        loop = PendingLoop(queue=PendingQueue(), simulator=Simulator(rpc), view=view,
                           detectors=default_detectors(), header=lambda: header,
                           watched=tracker.watched, on_detection=open_incident, max_per_block=8)
        await loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), header)
        # pending: the one report is EXTRACTION (the invariant breaks too, and used to hide it)
        assert [EvidenceKind(d.evidence.kind) for d in opened] == [EvidenceKind.EXTRACTION]
        pending = opened[0]
        assert pending.protocol_id == pid and pending.verdict.finding is Finding.VIOLATION
        assert pending.evidence.pending is not None and pending.evidence.pending.raw_tx == raw
        facts = intent.facts_from_fields(pending.evidence.observed, pending.evidence.detail)
        assert facts.tx_hash == bytes.fromhex(harmful[0].tx_hash[2:])
        assert facts.claims == 0 and facts.extracted * 10 > facts.balance_before * 9
        assert (facts.held_before, facts.held_after) == (1, 0)

        chain.settle(harmful)  # mined: the same facts from the receipt and the trace
        await tracker.on_head(harmful[0].block)
        mined = await ExtractionDetector().scan(view, tracker.watched()[pid], harmful[0].block)
        assert [d.verdict.finding for d in mined] == [Finding.VIOLATION]
        assert mined[0].evidence.detail == pending.evidence.detail
        assert mined[0].evidence.observed == pending.evidence.observed
    trio.run(run)
