"""The reads behind the claims rule over a balance window (`node.detectors.claims_window`), on a
fake chain view: each transaction is traced and its claims read once however many heads its
window spans; a window it cannot fully judge is judged as before."""

from __future__ import annotations

import dataclasses

from node.chain.trace import TxFlows
from node.detectors.balance import OutflowDetector
from node.detectors.claims_window import MAX_WINDOW_TXS
from node.records import LogRecord, Watched
from protocol import intent
from protocol.detection import DetectionParams, EvidenceKind

PID = b"\x01" * 32
POOL = b"\x0a" * 20
TOKEN = b"\x0b" * 20
VIEW = b"\x0c" * 20  # the claims adapter
WHALE = b"\xaa" * 20
PARAMS = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=1500,
                         window_blocks=10, balance_drop_bps=0, invariants=(), claims=VIEW)
WATCHED = Watched(PID, PARAMS, allowed_actions=1 << 3)


def _topic(account: bytes) -> bytes:
    return b"\x00" * 12 + account


class FakeView:
    """The pool holds 1000 until block 95, then `withdrawals` transactions of block 95 take
    300 in total to the whale, whose claim (its deposit) is `claim`."""

    def __init__(self, withdrawals: int = 1, claim: int = 400, traced: bool = True):
        self.hashes = [bytes([i + 1]) * 32 for i in range(withdrawals)]
        self.claim, self.traced = claim, traced
        self.claim_reads = self.traces = 0

    async def balance(self, token, holder, block):
        return 1_000 if block < 95 else 700

    async def call(self, target, data, block):
        assert target == VIEW and data[:4] == intent.CLAIM_OF_SELECTOR and block == 94
        self.claim_reads += 1
        return (self.claim if data[16:36] == WHALE else 0).to_bytes(32, "big")

    async def block_logs(self, addresses, topics, block, topic1=()):
        if block != 95:
            return []
        share = 300 // len(self.hashes)
        return [LogRecord(TOKEN, (intent.TRANSFER_TOPIC, _topic(POOL), _topic(WHALE)), h, 0, 95,
                          WHALE, share.to_bytes(32, "big")) for h in self.hashes]

    async def tx_flows(self, tx_hash):
        self.traces += 1
        if not self.traced:
            return None
        share = 300 // len(self.hashes)
        return TxFlows(tx_hash, WHALE, POOL, 95, True,
                       (intent.Transfer(TOKEN, POOL, WHALE, share),))

    async def code_size(self, address, block):
        return 100


class BalancesOnly:
    async def balance(self, token, holder, block):
        return 1_000 if block < 95 else 700


async def test_a_window_within_claims_traces_each_transaction_once():
    view = FakeView()
    for head in range(96, 100):  # four heads whose window holds the withdrawal
        assert await OutflowDetector().scan(view, WATCHED, head) == []
    assert (view.traces, view.claim_reads) == (1, 1)  # the facts are cached per view and tx


async def test_a_withdrawal_beyond_its_claim_is_still_evidence():
    view = FakeView(claim=100)  # 200 of the 300 beyond the whale's claim: 20% > 15%
    (found,) = await OutflowDetector().scan(view, WATCHED, 100)
    assert found.evidence.kind == EvidenceKind.OUTFLOW


async def test_a_window_it_cannot_judge_is_judged_as_before():
    # a transaction this node does not know
    assert len(await OutflowDetector().scan(FakeView(traced=False), WATCHED, 100)) == 1
    # more transactions than a window judges: none traced, the window is evidence as before
    crowded = FakeView(withdrawals=MAX_WINDOW_TXS + 1, claim=10**6)
    assert len(await OutflowDetector().scan(crowded, WATCHED, 100)) == 1
    assert crowded.traces == 0
    # a view that reads no flows at all (an older chain view)
    assert len(await OutflowDetector().scan(BalancesOnly(), WATCHED, 100)) == 1


async def test_without_a_claims_view_the_rules_are_todays():
    blind = dataclasses.replace(WATCHED, params=dataclasses.replace(PARAMS, claims=None))
    view = FakeView()
    assert len(await OutflowDetector().scan(view, blind, 100)) == 1
    assert view.traces == 0  # nothing is traced for it

