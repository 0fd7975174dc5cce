"""A constructor-only exploit (OZMarketOneShot: deploy and drain an OpenZeppelin lending market in
one creating transaction) on a real chain, without the network: the pending path simulates the
creation (through the factory override: nodes refuse a transaction without `to`) and finds it
exploit-class evidence carrying the signed creation; a peer re-simulates and signs; seven
guardians derive one digest; the preparation watch, handed the same creation, finds nothing to
probe (the runtime code is a stub) and opens nothing: no second incident."""

from __future__ import annotations

import pytest
import trio
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.artifacts import load_artifact
from node.chain.oracle import OracleClient
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.deploy import Deployer
from node.detectors import default_detectors
from node.devnet.contracts import deploy_all
from node.devnet.inprocess import deal
from node.devnet.oz_market import OZ_CAPITAL, OZ_LIQUIDITY, deploy_oz_market, prefund
from node.metrics import Metrics
from node.pending_loop import PendingLoop
from node.pipeline import IncidentPipeline
from node.prepared_loop import BATCH_SECONDS, PreparedLoop
from node.records import GuardianKey
from node.store import Store
from protocol import messages
from protocol.bls import get_backend
from protocol.containment import Shape
from protocol.detection import EvidenceKind, choose_action, evidence_shape, report_deadline
from protocol.digest import Action
from protocol.pending import MAX_RAW_TX_BYTES

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]
B = get_backend()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with Anvil(log_path=tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        dealing, gset = deal(7, 5, B, seed=27)
        gov = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
        attacker = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[9])
        deployment = deploy_all(gov, gset, B, attacker=attacker.address).to_dict()
        market = deploy_oz_market(gov, deployment)
        yield anvil, dealing, gset, deployment, market, attacker


class Node:
    """One guardian's pending loop, preparation watch and pipeline, no p2p."""

    def __init__(self, chain, store_path, index=1):
        anvil, dealing, gset, deployment, _, _ = chain
        self.rpc = ChainRpc(anvil.rpc_url)
        self.oracle = OracleClient(self.rpc, bytes.fromhex(deployment["oracle"][2:]))
        self.registry = RegistryTracker(self.oracle)
        self.simulator = Simulator(self.rpc)
        self.metrics = Metrics()
        self.detections, self.creations, self.header = [], [], None

        async def nothing(*_):
            return None

        async def opened(det, name):
            self.detections.append(det)
            return False

        self.pipeline = IncidentPipeline(
            key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset, backend=B,
            store=Store(store_path), view=RpcChainView(self.rpc), oracle=self.oracle,
            chain_id=31337, oracle_address=self.oracle.address, watched=self.registry.watched,
            publish=nothing, on_ready=nothing, simulator=self.simulator, head_wait_seconds=2)
        self.prepared = PreparedLoop(rpc=ChainRpc(anvil.rpc_url, timeout=BATCH_SECONDS,
                                                  retries=0),
                                     header=lambda: self.header, watched=self.registry.watched,
                                     on_detection=opened, metrics=self.metrics)
        self.loop = PendingLoop(queue=PendingQueue(), simulator=self.simulator,
                                view=RpcChainView(self.rpc), detectors=default_detectors(),
                                header=lambda: self.header, watched=self.registry.watched,
                                on_detection=opened, max_per_block=8, metrics=self.metrics,
                                on_creation=self.creations.append)

    async def head(self):
        self.header = await self.rpc.header("latest")
        await self.registry.on_head(self.header.number)
        await self.pipeline.on_head(self.header.number)

    async def judge(self, raw: bytes):
        self.detections.clear()
        await self.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), self.header)
        return list(self.detections)


def _signed_one_shot(attacker: Deployer, deployment: dict, market: str) -> bytes:
    return _signed(attacker, "OZMarketOneShot", market, deployment["amm"], deployment["usd"],
                   deployment["weth"])


def _signed(attacker: Deployer, name: str, *args) -> bytes:
    w3 = attacker.w3
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tx = factory.constructor(*args).build_transaction({
        "from": attacker.address, "gas": 1_500_000, "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(attacker.address, "pending"),
        "maxPriorityFeePerGas": 2 * 10**9, "maxFeePerGas": base * 3 + 2 * 10**9})
    return bytes(Account.from_key(attacker.account.key).sign_transaction(tx).raw_transaction)


def _report(det, dealing, guardian: int, deployment):
    ev = det.evidence
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=bytes.fromhex(deployment["oracle"][2:]), key_epoch=1,
        protocol_id=det.protocol_id, action=int(choose_action(ev, 1 << Action.PAUSE)),
        nonce=0, deadline=report_deadline(ev.pending.sim_time), evidence=ev,
        observed_block=ev.block_to, guardian=guardian, signature=b""),
        dealing.shares[guardian - 1], B)


async def test_constructor_only_exploit_is_pending_evidence_and_no_prepared_incident(
        chain, tmp_path):
    _, dealing, _, deployment, market, attacker = chain
    pid = bytes.fromhex(market.protocol_id[2:])
    usd = attacker.contract("DemoToken", deployment["usd"])
    assert usd.functions.balanceOf(attacker.address).call() >= OZ_CAPITAL
    future = prefund(attacker, deployment)  # the capital waits where the exploit will be
    raw = _signed_one_shot(attacker, deployment, market.market)  # signed, never broadcast
    assert len(raw) <= MAX_RAW_TX_BYTES
    node = Node(chain, tmp_path / "g1.sqlite")
    await node.head()
    assert pid in node.registry.watched()

    found = await node.judge(raw)
    assert found and {d.protocol_id for d in found} == {pid}
    kinds = {EvidenceKind(d.evidence.kind) for d in found}
    assert EvidenceKind.INVARIANT in kinds and EvidenceKind.PREPARED not in kinds, kinds
    det = next(d for d in found if d.evidence.kind == EvidenceKind.INVARIANT)
    ev = det.evidence
    assert ev.pending.raw_tx == raw and decode_raw_tx(ev.pending.raw_tx).to is None
    assert ev.subject == bytes.fromhex(market.market[2:]) and ev.observed == (1, 0)
    assert evidence_shape(ev) is Shape.EXPLOIT and choose_action(ev, 0b0010) is Action.PAUSE

    # the preparation watch got the same creation: a stub that names nothing, never probed
    assert [tx.hash for tx in node.creations] == [decode_raw_tx(raw).hash]
    assert await node.prepared.examine_pending(node.creations[0], node.header) == []
    assert node.metrics.registry.get_sample_value(
        "guardian_prepared_creations_total", {"result": "filtered"}) == 1
    assert not node.prepared.candidates and node.prepared.probed == 0

    # a creation too large for a pending report is not even simulated by the pending loop; the
    # preparation watch still gets it (OZMarketExploit: it names the market, so it is probed)
    large = _signed(attacker, "OZMarketExploit", market.market, deployment["amm"])
    assert len(large) > MAX_RAW_TX_BYTES
    simulated = node.loop.simulated
    assert await node.judge(large) == [] and node.loop.simulated == simulated
    assert node.metrics.registry.get_sample_value(
        "guardian_pending_simulations_total", {"result": "too_large"}) == 1
    assert node.creations[-1].hash == decode_raw_tx(large).hash

    # a peer that saw nothing re-simulates the creation and signs
    peer = Node(chain, tmp_path / "g2.sqlite", index=2)
    await peer.head()
    assert await peer.pipeline.on_report(_report(det, dealing, 1, deployment))
    assert peer.pipeline.store.counts()["own_shares"] == 1

    # seven guardians that each see it pending derive one digest on their own
    digests = set()
    for index in range(1, 8):
        seer = Node(chain, tmp_path / f"s{index}.sqlite", index)
        await seer.head()
        report = await seer.pipeline.on_detection((await seer.judge(raw))[0])
        digests.add(report.digest())
    assert len(digests) == 1, digests
    # nothing happened on chain: the market still holds its cash, the exploit has no code
    assert attacker.contract("OZLendingMarket", market.market).functions.cash().call() \
        == OZ_LIQUIDITY
    assert not attacker.w3.eth.get_code(future)
