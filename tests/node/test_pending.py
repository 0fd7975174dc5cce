"""Pending transactions on a real chain, without the network: the simulation judges an exploit that
is signed but not broadcast; benign traffic (a withdrawal within the limits, the governance's own
transaction, a transaction that reverts) opens nothing; a peer's pending report is re-simulated
before it is signed, and a report whose observations do not match, or whose pending evidence is
malformed in any way, is refused with its sender named, never a crash."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import trio
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.chain.oracle import OracleClient
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import RawTxError, decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.deploy import Deployer
from node.detectors import default_detectors
from node.devnet import oneshot
from node.devnet.contracts import NO_CAP, deploy_all
from node.devnet.inprocess import deal
from node.pending_loop import PendingLoop
from node.pipeline import IncidentPipeline
from node.records import GuardianKey
from node.store import Store
from protocol import messages
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, choose_action, report_deadline
from protocol.digest import Action
from protocol.pending import MAX_BASE_LAG_BLOCKS

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]
B = get_backend()
E18 = 10**18


def _sign(w3, key: str, fn, gas: int = 600_000, tip: int = 2 * 10**9) -> bytes:
    account = Account.from_key(key)
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tx = fn.build_transaction({"from": account.address, "gas": gas, "chainId": w3.eth.chain_id,
                               "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                               "maxPriorityFeePerGas": tip, "maxFeePerGas": base * 3 + tip})
    return bytes(account.sign_transaction(tx).raw_transaction)


class Node:
    """One guardian's detection and verification parts, on one chain, no p2p."""

    def __init__(self, chain, deployment, dealing, gset, store_path, index=1):
        self.rpc = ChainRpc(chain.rpc_url)
        self.oracle = OracleClient(self.rpc, bytes.fromhex(deployment["oracle"][2:]))
        self.registry = RegistryTracker(self.oracle)
        self.simulator = Simulator(self.rpc)
        self.view = RpcChainView(self.rpc)
        self.detections = []

        async def nothing(*_):
            return None

        self.pipeline = IncidentPipeline(
            key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset, backend=B,
            store=Store(store_path), view=self.view, oracle=self.oracle, chain_id=31337,
            oracle_address=self.oracle.address, watched=self.registry.watched, publish=nothing,
            on_ready=nothing, simulator=self.simulator, head_wait_seconds=2)
        self.header = None

        async def opened(det, name):
            self.detections.append(det)
            return False

        self.loop = PendingLoop(queue=PendingQueue(), simulator=self.simulator, view=self.view,
                                detectors=default_detectors(), header=lambda: self.header,
                                watched=self.registry.watched, on_detection=opened,
                                max_per_block=8)

    async def head(self):
        self.header = await self.rpc.header("latest")
        await self.registry.on_head(self.header.number)
        await self.pipeline.on_head(self.header.number)

    async def judge(self, raw: bytes):
        self.detections.clear()
        await self.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), self.header)
        return list(self.detections)


def _report(det, dealing, guardian: int, watched, evidence=None):
    ev = evidence or det.evidence
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=bytes.fromhex(watched["oracle"][2:]), key_epoch=1,
        protocol_id=det.protocol_id,
        action=int(choose_action(EvidenceKind(ev.kind), 0b1010) or Action.PAUSE),
        nonce=0, deadline=report_deadline(ev.pending.sim_time), evidence=ev,
        observed_block=ev.block_to, guardian=guardian, signature=b""),
        dealing.shares[guardian - 1], B)


async def test_pending_traffic_is_judged_and_peers_resimulate(tmp_path, caplog):
    with Anvil(log_path=tmp_path / "anvil.log") as chain:
        dealing, gset = deal(7, 5, B, seed=7)
        gov = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])
        attacker = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[9])
        lender = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[3])
        deployment = deploy_all(gov, gset, B, attacker=attacker.address,
                                max_borrow_per_tx=NO_CAP).to_dict()
        contract = oneshot.prepare(attacker, deployment)
        pool = gov.contract("DemoLendingPool", deployment["pool"])
        usd = gov.contract("DemoToken", deployment["usd"])
        gov.transact("mint", usd.functions.mint(lender.address, 200_000 * E18))
        lender.transact("approve", lender.contract("DemoToken", deployment["usd"]).functions
                        .approve(pool.address, 2**256 - 1))
        lender.transact("deposit", lender.contract("DemoLendingPool", pool.address).functions
                        .deposit(200_000 * E18))
        node = Node(chain, deployment, dealing, gset, tmp_path / "g1.sqlite")
        await node.head()
        w3 = gov.w3

        # benign: a lender's withdrawal within the limits, governance draining its own deposit,
        # a transaction that reverts (the attacker contract called by someone else)
        small = _sign(w3, DEV_PRIVATE_KEYS[3], lender.contract("DemoLendingPool", pool.address)
                      .functions.withdraw(50_000 * E18))
        own = _sign(w3, DEV_PRIVATE_KEYS[0], pool.functions.withdraw(900_000 * E18))
        reverts = _sign(w3, DEV_PRIVATE_KEYS[3], contract.functions.step(10**18))
        for raw in (small, own, reverts):
            assert await node.judge(raw) == []
        assert node.loop.simulated == 2  # the governance's transaction is not even simulated

        # the exploit, signed but not broadcast: the detectors see the drain one block early
        exploit = oneshot.sign_exploit(attacker, contract)
        found = await node.judge(exploit)
        kinds = {EvidenceKind(d.evidence.kind) for d in found}
        # exploit-class evidence only: volatility (the balance drop) is judged on mined blocks
        assert kinds == {EvidenceKind.INVARIANT, EvidenceKind.EXTRACTION}, kinds
        det = next(d for d in found if d.evidence.kind == EvidenceKind.EXTRACTION)
        ev = det.evidence
        assert ev.pending.raw_tx == exploit and ev.pending.base_hash == node.header.hash
        assert ev.block_to == node.header.number + 1 and ev.observed[1] == 0  # no claims
        assert ev.observed[0] == ev.observed[2] == 1_200_000 * E18  # the whole pool, net

        # a peer (guardian 2) that saw nothing re-simulates guardian 3's report and signs it
        peer = Node(chain, deployment, dealing, gset, tmp_path / "g2.sqlite", index=2)
        await peer.head()
        caplog.set_level(logging.WARNING, logger="guardian.pipeline")
        assert await peer.pipeline.on_report(_report(det, dealing, 3, deployment))
        assert peer.pipeline.store.counts()["own_shares"] == 1

        # the same with other observations, or malformed pending evidence: refused, sender named
        ctx = ev.pending
        bad = {
            "observed": dataclasses.replace(ev, observed=(ev.observed[0] + 1,) + ev.observed[1:]),
            "beneficiaries": dataclasses.replace(ev, detail=ev.detail[:32] + b"\x42" * 20),
            "volatility": dataclasses.replace(ev, kind=EvidenceKind.BALANCE_DROP,
                                              subject=bytes.fromhex(deployment["usd"][2:]),
                                              observed=(1_000_000 * E18, 0),
                                              detail=bytes.fromhex(deployment["pool"][2:])),
            "raw tx": dataclasses.replace(ev, pending=dataclasses.replace(
                ctx, raw_tx=b"\x02not a transaction")),
            "base hash": dataclasses.replace(ev, pending=dataclasses.replace(
                ctx, base_hash=b"\x13" * 32)),
            "sim time": dataclasses.replace(ev, pending=dataclasses.replace(
                ctx, sim_time=node.header.timestamp + 3600)),
            "unknown base": dataclasses.replace(ev, block_from=10**6, block_to=10**6 + 1),
            "governance": dataclasses.replace(ev, pending=dataclasses.replace(ctx, raw_tx=own)),
            "reverts": dataclasses.replace(ev, pending=dataclasses.replace(ctx, raw_tx=reverts)),
        }
        other = Node(chain, deployment, dealing, gset, tmp_path / "g4.sqlite", index=4)
        await other.head()
        for guardian, (what, evidence) in enumerate(bad.items(), start=1):
            sender = 1 + guardian % 3
            caplog.clear()
            report = _report(det, dealing, sender, deployment, evidence=evidence)
            assert not await other.pipeline.on_report(report), what
            assert f"from guardian {sender}" in caplog.text, what
        assert other.pipeline.store.counts()["own_shares"] == 0

        # Seven guardians that each see the exploit pending derive one digest on their own (no
        # per-node field in the evidence): their shares combine without anyone's report.
        digests = set()
        for index in range(1, 8):
            seer = Node(chain, deployment, dealing, gset, tmp_path / f"s{index}.sqlite", index)
            await seer.head()
            found = await seer.judge(exploit)
            assert found, f"guardian {index} did not see the exploit"
            report = await seer.pipeline.on_detection(found[0])
            digests.add(report.digest())
        assert len(digests) == 1, digests

        # The same report reaching a peer whose head is MAX_BASE_LAG_BLOCKS + 1 past its base:
        # the exploit still reproduces there, but a pending transaction is judged on the chain as
        # it is now, so the stale base is refused (a lagging or faulty reporter cannot make honest
        # peers sign a verdict about an old state).
        w3.provider.make_request("anvil_mine", [MAX_BASE_LAG_BLOCKS + 1])
        late = Node(chain, deployment, dealing, gset, tmp_path / "late.sqlite", index=6)
        await late.head()
        caplog.clear()
        assert not await late.pipeline.on_report(_report(det, dealing, 3, deployment))
        assert "blocks behind our head" in caplog.text and "from guardian 3" in caplog.text
        assert late.pipeline.store.counts()["own_shares"] == 0


def test_raw_transactions_that_do_not_decode_raise_a_typed_error():
    for raw in (b"", b"\x05abc", b"\x02\xc0", b"\xc0", b"\x02" + b"\xff" * 40, b"\x01\xc3\x01\x02\x03"):
        with pytest.raises(RawTxError):
            decode_raw_tx(raw)
