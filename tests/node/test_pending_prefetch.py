"""A pending transaction's base-block reads go out in one batch before the detectors judge it
(`node.detectors.prefetch_pending`): the detectors then make no read of their own, and their
evidence is byte for byte what they derive reading one by one. The corpus's one-transaction
exploits (`access_control`, `oracle_flash`) and a benign deposit, on one anvil with both protocols
registered the way the benchmark registers them."""

from __future__ import annotations

import pytest
import trio
from web3 import Web3

import node.pending_loop as pending_loop
from node.chain.oracle import OracleClient
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.detectors import default_detectors
from node.pending_loop import PendingLoop

from .corpus_world import corpus_world, held_back

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
CLASSES = ("access_control", "oracle_flash")


class CountingRpc(ChainRpc):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.calls: list[str] = []

    async def _run(self, what, fn):
        self.calls.append(what)
        return await super()._run(what, fn)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with corpus_world(tmp_path_factory.mktemp("pending-prefetch"), "pending-prefetch",
                      CLASSES) as w:
        held: list = []
        for scenario in reversed(w.scenarios):  # oracle_flash's set-up mines blocks: first
            held += held_back(scenario)  # the exploit, sent but not mined
        for scenario in w.scenarios:
            held += scenario.traffic()  # everyday deposits and withdrawals, pending too
        raws = [(s.label, bytes(Web3.to_bytes(hexstr=w.chain.w3.provider.make_request(
            "eth_getRawTransactionByHash", [s.tx_hash])["result"]))) for s in held]
        yield w, raws


async def _judge(url: str, oracle: bytes, raw: bytes) -> tuple[list, list[str]]:
    rpc = CountingRpc(url)
    tracker = RegistryTracker(OracleClient(rpc, oracle))
    header = await rpc.header("latest")
    await tracker.on_head(header.number)
    found: list = []

    async def opened(det, _name):
        found.append(det)
        return True

    loop = PendingLoop(queue=PendingQueue(), simulator=Simulator(rpc), view=RpcChainView(rpc),
                       detectors=default_detectors(), header=lambda: header,
                       watched=tracker.watched, on_detection=opened, max_per_block=8)
    await loop._next_block_time(header)  # the parent's header: read once per head, not per tx
    rpc.calls.clear()
    await loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), header)
    return found, rpc.calls


def test_the_detectors_read_nothing_one_by_one_and_judge_the_same(world, monkeypatch):
    w, raws = world
    url = w.anvil.rpc_url
    batched = {label: trio.run(_judge, url, w.oracle, raw) for label, raw in raws}
    exploits = [label for label, (found, _) in batched.items() if found]
    assert sorted(exploits) == ["access_control:sweep", "oracle_flash:oracle attack"]
    for label, (_found, calls) in batched.items():
        one_by_one = [c for c in calls if c in ("eth_call", "eth_getCode", "eth_getBalance")]
        assert one_by_one == [], f"{label}: the detectors still read {one_by_one}"

    async def nothing(view, protocols):
        return None

    monkeypatch.setattr(pending_loop, "prefetch_pending", nothing)
    for label, raw in raws:
        found, calls = trio.run(_judge, url, w.oracle, raw)
        assert [d.evidence for d in found] == [d.evidence for d in batched[label][0]], label
        if found:
            assert "eth_call" in calls  # without the batch the same facts are read one by one
