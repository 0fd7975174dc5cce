"""Preparation-stage containment on a real chain, without the network (one anvil for the file):
an attack contract deployed on the demo pool is found by its probes before anyone calls it, when
its deployment is mined directly and when it is pending; benign contracts that call the pool are
probed and found clean; a peer re-runs a PREPARED probe before signing and refuses, naming the
sender, when it does not reproduce; hostile code never stalls the loop."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import trio
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.artifacts import load_artifact
from node.chain.oracle import OracleClient
from node.chain.probe import ProbeCall, creation_address
from node.chain.rawtx import decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator, reads_for
from node.chain.view import RpcChainView
from node.deploy import Deployer
from node.detectors.prepared_extraction import judge_extraction_probe
from node.devnet.contracts import ATTACKER_CAPITAL, deploy_all
from node.devnet.inprocess import deal
from node.pipeline import IncidentPipeline
from node.prepared_judge import Candidate, judge_probe, run_alone
from node.prepared_loop import BATCH_SECONDS, PROBE_GAS, PreparedLoop
from node.records import GuardianKey
from node.store import Store
from protocol import intent, messages
from protocol.bls import get_backend
from protocol.containment import Shape
from protocol.detection import EvidenceKind, choose_action, evidence_shape, report_deadline
from protocol.digest import Action
from protocol.prepared import decode_probe, encode_probe

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]
B = get_backend()
E18 = 10**18
GOV, ATTACKER, HELPER = DEV_PRIVATE_KEYS[0], DEV_PRIVATE_KEYS[9], DEV_PRIVATE_KEYS[4]
WHALE = DEV_PRIVATE_KEYS[5]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with Anvil(log_path=log) as anvil:
        dealing, gset = deal(7, 5, B, seed=25)
        gov = Deployer.connect(anvil.rpc_url, GOV)
        attacker = Deployer.connect(anvil.rpc_url, ATTACKER)
        deployment = deploy_all(gov, gset, B, attacker=attacker.address).to_dict()
        yield anvil, dealing, gset, deployment


class Node:
    """One guardian's preparation watch and verification, on one chain, no p2p."""

    def __init__(self, chain, store_path, index=1):
        anvil, dealing, gset, deployment = chain
        self.rpc = ChainRpc(anvil.rpc_url)
        self.oracle = OracleClient(self.rpc, bytes.fromhex(deployment["oracle"][2:]))
        self.registry = RegistryTracker(self.oracle)
        self.detections = []
        self.header = None

        async def nothing(*_):
            return None

        self.pipeline = IncidentPipeline(
            key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset, backend=B,
            store=Store(store_path), view=RpcChainView(self.rpc), oracle=self.oracle,
            chain_id=31337, oracle_address=self.oracle.address, watched=self.registry.watched,
            publish=nothing, on_ready=nothing, simulator=Simulator(self.rpc), head_wait_seconds=2)

        async def opened(det, name):
            self.detections.append(det)
            return True

        self.loop = PreparedLoop(rpc=ChainRpc(anvil.rpc_url, timeout=BATCH_SECONDS, retries=0),
                                 header=lambda: self.header, watched=self.registry.watched,
                                 on_detection=opened)

    async def head(self, number="latest"):
        self.header = await self.rpc.header(number)
        await self.registry.on_head(self.header.number)
        await self.pipeline.on_head(self.header.number)
        return self.header


def _signed_creation(w3, key: str, name: str, *args, nonce: int | None = None) -> bytes:
    account = Account.from_key(key)
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tx = factory.constructor(*args).build_transaction({
        "from": account.address, "gas": 3_000_000, "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(account.address, "pending") if nonce is None
        else nonce, "maxPriorityFeePerGas": 10**9, "maxFeePerGas": base * 3 + 10**9})
    return bytes(account.sign_transaction(tx).raw_transaction)


def _report(det, dealing, guardian: int, deployment, evidence=None):
    ev = evidence or det.evidence
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=bytes.fromhex(deployment["oracle"][2:]), key_epoch=1,
        protocol_id=det.protocol_id, action=int(choose_action(ev, 0b1010) or Action.PAUSE),
        nonce=0, deadline=report_deadline(decode_probe(ev.detail).sim_time), evidence=ev,
        observed_block=ev.block_to, guardian=guardian, signature=b""),
        dealing.shares[guardian - 1], B)


async def test_mined_attack_contract_is_evidence_before_its_first_call(chain, tmp_path, caplog):
    anvil, dealing, gset, deployment = chain
    attacker = Deployer.connect(anvil.rpc_url, ATTACKER)
    node = Node(chain, tmp_path / "g1.sqlite")
    # deployed directly (a private builder's block): found among the head's creations
    contract = attacker.deploy("Attacker", deployment["pool"])
    header = await node.head()
    assert await node.loop.on_head(header) == []  # unfunded: every probe reverts
    address = bytes.fromhex(contract.address[2:])
    assert address in node.loop.candidates  # it names the pool: kept, probed again
    usd = attacker.contract("DemoToken", deployment["usd"])
    attacker.transact("fund", usd.functions.transfer(contract.address, ATTACKER_CAPITAL))
    header = await node.head()
    found = await node.loop.on_head(header)
    assert found and node.detections == found
    ev = found[0].evidence
    probe = decode_probe(ev.detail)
    assert ev.kind == EvidenceKind.PREPARED and probe.contract == address
    assert probe.sender == bytes.fromhex(attacker.address[2:]) and not probe.pending
    assert ev.block_from == header.number and probe.base_hash == header.hash
    assert probe.calldata[:4] == bytes.fromhex(
        contract.functions.step(0)._encode_transaction_data()[2:10])
    assert evidence_shape(ev) is Shape.EXPLOIT  # the pool's invariant judged the probe
    assert choose_action(ev, 0b1010) is Action.PAUSE

    # a peer re-runs the probe on its own node and signs
    peer = Node(chain, tmp_path / "g2.sqlite", index=2)
    await peer.head()
    caplog.set_level(logging.WARNING, logger="guardian.pipeline")
    assert await peer.pipeline.on_report(_report(found[0], dealing, 3, deployment))

    # ...and refuses evidence that does not reproduce, naming the sender
    def probed(**changes):
        return dataclasses.replace(ev, detail=encode_probe(dataclasses.replace(probe, **changes)))

    bad = {
        "observed": dataclasses.replace(ev, observed=(ev.observed[0], 1 - ev.observed[1])
                                        if probe.rule == EvidenceKind.INVARIANT
                                        else (ev.observed[0], ev.observed[0] // 2)),
        "calldata": probed(calldata=probe.calldata[:4]),
        "sender": probed(sender=b"\x42" * 20),
        "creation": probed(creation=b"\x13" * 32),
        "base hash": probed(base_hash=b"\x13" * 32),
        "sim time": probed(sim_time=header.timestamp + 3600),
        "pending": probed(pending=True),
    }
    other = Node(chain, tmp_path / "g4.sqlite", index=4)
    await other.head()
    for k, (what, evidence) in enumerate(bad.items()):
        sender = 5 + k % 3
        caplog.clear()
        assert not await other.pipeline.on_report(_report(found[0], dealing, sender, deployment,
                                                          evidence=evidence)), what
        assert f"from guardian {sender}" in caplog.text, what
    assert other.pipeline.store.counts()["own_shares"] == 0


async def test_an_attack_probe_taking_beyond_claims_is_extraction_evidence(chain, tmp_path,
                                                                          caplog):
    """The attack contract's probe takes the pool's USDd beyond its takers' own claims: PREPARED
    evidence judged by EXTRACTION (exploit class, a pause), whose facts a peer re-derives from its
    own re-run, refusing other facts or other beneficiaries."""
    anvil, dealing, gset, deployment = chain
    attacker = Deployer.connect(anvil.rpc_url, ATTACKER)
    node = Node(chain, tmp_path / "x1.sqlite")
    contract = attacker.deploy("Attacker", deployment["pool"])
    deployed = await node.head()
    assert await node.loop.on_head(deployed) == []
    gov = Deployer.connect(anvil.rpc_url, GOV)
    gov.transact("fund", gov.contract("DemoToken", deployment["usd"]).functions.mint(
        contract.address, ATTACKER_CAPITAL))
    header = await node.head()
    found = await node.loop.on_head(header)
    assert found  # the invariant judged it first (exploit class); now the same probe by intent
    probe = decode_probe(found[0].evidence.detail)
    address = bytes.fromhex(contract.address[2:])
    watched = node.registry.watched()[found[0].protocol_id]
    assert watched.params.claims is not None  # the demo registers its claims view
    cand = Candidate(address, probe.creation, probe.sender, b"", header.number)
    call = ProbeCall(probe.sender, probe.value, probe.calldata)
    alone = await run_alone(node.loop.prober, watched, cand, call, (), header, probe.sim_time,
                            PROBE_GAS, None)
    assert alone is not None and alone.transfers[0]
    taken = judge_extraction_probe(watched, probe.creation, False, probe.sender, address,
                                   probe.value, probe.calldata, alone.transfers[0],
                                   alone.reads[0], alone.reads[1], header, probe.sim_time)
    assert len(taken) == 1
    ev = taken[0].evidence
    inner = decode_probe(ev.detail)
    assert inner.rule == EvidenceKind.EXTRACTION and ev.subject == bytes.fromhex(
        deployment["usd"][2:])
    facts = intent.facts_from_fields(ev.observed, inner.rule_detail)
    assert facts.beneficiaries[:2] == (probe.sender, address) and facts.young == 1
    assert facts.extracted > 0 and facts.claims == 0  # neither had anything in the pool
    assert evidence_shape(ev) is Shape.EXPLOIT and choose_action(ev, 0b1010) is Action.PAUSE
    assert "claims were 0" in taken[0].verdict.reason

    # the watch finds it by EXTRACTION itself where no invariant is registered
    bare = {watched.protocol_id: dataclasses.replace(watched, params=dataclasses.replace(
        watched.params, invariants=()))}
    opened = []

    async def on_detection(det, name):
        opened.append(det)
        return True

    loop = PreparedLoop(rpc=ChainRpc(anvil.rpc_url, timeout=BATCH_SECONDS, retries=0),
                        header=lambda: None, watched=lambda: bare, on_detection=on_detection)
    assert await loop.on_head(deployed) == []
    by_intent = await loop.on_head(header)
    assert by_intent and opened == by_intent
    assert decode_probe(by_intent[0].evidence.detail).rule == EvidenceKind.EXTRACTION
    assert evidence_shape(by_intent[0].evidence) is Shape.EXPLOIT

    # a peer re-runs the probe, reads the claims of the named beneficiaries, and signs
    peer = Node(chain, tmp_path / "x2.sqlite", index=2)
    await peer.head()
    caplog.set_level(logging.INFO)
    assert await peer.pipeline.on_report(_report(taken[0], dealing, 3, deployment))

    def with_facts(observed=ev.observed, rule_detail=inner.rule_detail):
        return dataclasses.replace(ev, observed=observed, detail=encode_probe(
            dataclasses.replace(inner, rule_detail=rule_detail)))

    claims_at = intent.OBSERVED_FIELDS.index("claims")
    bad = {
        # claims written lower than they are, to turn a withdrawal into an "extraction"
        "claims": with_facts(observed=tuple(v + (1 if i == claims_at else 0)
                                            for i, v in enumerate(ev.observed))),
        "beneficiaries": with_facts(rule_detail=inner.rule_detail[:32 + 20]),
    }
    other = Node(chain, tmp_path / "x4.sqlite", index=4)
    await other.head()
    for k, (what, evidence) in enumerate(bad.items()):
        caplog.clear()
        assert not await other.pipeline.on_report(_report(taken[0], dealing, 5 + k, deployment,
                                                          evidence=evidence)), what
        assert f"from guardian {5 + k}" in caplog.text, what
    assert "beneficiaries differ" in caplog.text
    assert other.pipeline.store.counts()["own_shares"] == 0


async def test_pending_attack_contract_is_evidence_before_it_is_mined(chain, tmp_path):
    anvil, dealing, gset, deployment = chain
    w3 = Deployer.connect(anvil.rpc_url, ATTACKER).w3
    # the attacker's capital waits at the address its deployment will have (minted here)
    attacker = Deployer.connect(anvil.rpc_url, ATTACKER)
    nonce = w3.eth.get_transaction_count(attacker.address)
    future = creation_address(bytes.fromhex(attacker.address[2:]), nonce)
    gov = Deployer.connect(anvil.rpc_url, GOV)
    gov.transact("prefund", gov.contract("DemoToken", deployment["usd"]).functions.mint(
        w3.to_checksum_address(future), ATTACKER_CAPITAL))
    raw = _signed_creation(w3, ATTACKER, "Attacker", deployment["pool"])
    tx = decode_raw_tx(raw)
    assert tx.to is None and tx.nonce == nonce
    node = Node(chain, tmp_path / "p1.sqlite")
    header = await node.head()
    found = await node.loop.examine_pending(tx, header)
    assert found
    probe = decode_probe(found[0].evidence.detail)
    assert probe.pending and probe.creation == tx.hash and probe.contract == future
    # a peer whose node has the creation in its mempool re-runs it and signs
    w3.eth.send_raw_transaction(raw)  # anvil mines it at once: then the peer finds it mined
    # ... but the evidence says pending at a base block where it was not mined yet: the peer
    # checks the creation was its sender's next one at that base, which still holds
    peer = Node(chain, tmp_path / "p2.sqlite", index=2)
    await peer.head(header.number)
    assert await peer.pipeline.on_report(_report(found[0], dealing, 3, deployment))


async def _mine_and_watch(node, deploy) -> list:
    """Deploy (one block each on anvil), then let the watch see every block since."""
    start = (await node.head()).number
    deploy()
    found = []
    end = (await node.head()).number
    for number in range(start + 1, end + 1):
        found += await node.loop.on_head(await node.head(number))
    return found


async def test_benign_integrations_are_probed_and_never_evidence(chain, tmp_path):
    anvil, dealing, gset, deployment = chain
    gov = Deployer.connect(anvil.rpc_url, GOV)
    user = Deployer.connect(anvil.rpc_url, HELPER)
    usd = user.contract("DemoToken", deployment["usd"])
    gov.transact("mint", gov.contract("DemoToken", deployment["usd"]).functions.mint(
        user.address, 500_000 * E18))
    node = Node(chain, tmp_path / "b1.sqlite")
    contracts = {}

    def deploy():
        contracts["helper"] = user.deploy("DepositHelper", deployment["pool"])
        contracts["router"] = user.deploy("SwapRouter", deployment["amm"])
        contracts["keeper"] = user.deploy("PositionKeeper", deployment["pool"])
        for c in contracts.values():  # the user lets each pull its USDd, as a real one would
            user.transact("approve", usd.functions.approve(c.address, 2**256 - 1))
        # and a real deposit through the helper
        user.transact("deposit", contracts["helper"].functions.deposit(200_000 * E18))

    assert await _mine_and_watch(node, deploy) == []
    assert {bytes.fromhex(c.address[2:]) for c in contracts.values()} <= set(node.loop.candidates)
    probed = node.loop.probed
    assert probed >= 3 * 6  # each was probed (every selector, both values), at several heads
    assert node.detections == []


async def test_a_whales_withdrawal_helper_is_volatility_and_contains_nothing(chain, tmp_path,
                                                                            caplog):
    """The whale's own helper, probed from the whale, takes back the whale's own deposit: far
    beyond the pool's drop and outflow limits, so a balance rule judges the probe, and that makes
    the evidence volatility class (the demo allows pause and collateral lock, no circuit breaker):
    the watch finds nothing to gossip, and a co-signer refuses a PAUSE on such evidence."""
    anvil, dealing, gset, deployment = chain
    gov = Deployer.connect(anvil.rpc_url, GOV)
    whale = Deployer.connect(anvil.rpc_url, WHALE)
    usd = whale.contract("DemoToken", deployment["usd"])
    pool_balance = usd.functions.balanceOf(deployment["pool"]).call()
    deposit = pool_balance // 2  # half the pool again: a third of it after the deposit
    gov.transact("mint", gov.contract("DemoToken", deployment["usd"]).functions.mint(
        whale.address, deposit))
    nonce = whale.w3.eth.get_transaction_count(whale.address)
    future = creation_address(bytes.fromhex(whale.address[2:]), nonce + 1)
    node = Node(chain, tmp_path / "w1.sqlite")
    contracts = {}

    def deploy():  # the whale lets its helper-to-be take the deposit, then deploys it
        whale.transact("approve", usd.functions.approve(whale.w3.to_checksum_address(future),
                                                        deposit))
        contracts["helper"] = whale.deploy("WithdrawalHelper", deployment["pool"])

    assert await _mine_and_watch(node, deploy) == []
    helper = contracts["helper"]
    address = bytes.fromhex(helper.address[2:])
    assert address == future and helper.functions.owner().call() == whale.address
    pool = whale.contract("DemoLendingPool", deployment["pool"])
    assert pool.functions.deposits(helper.address).call() == deposit
    assert address in node.loop.candidates and node.loop.probed > 0
    assert node.detections == []  # probed, and nothing engaged, nothing gossiped

    # the probe does break the balance rule: under a registration that allows the circuit breaker
    # it is evidence, of the balance rule's (volatility) class
    header = await node.head()
    watched = next(iter(node.registry.watched().values()))
    cand = node.loop.candidates[address]
    withdraw_all = bytes.fromhex(helper.functions.withdrawAll()._encode_transaction_data()[2:])
    call = ProbeCall(cand.sender, 0, withdraw_all)
    alone = await node.loop.prober.run(address, [call], reads_for([watched]), header,
                                       header.timestamp + 1, PROBE_GAS)
    assert alone.ok[0]
    assert judge_probe(watched, cand, call, alone.reads[0], alone.reads[1], header,
                       header.timestamp + 1) == []
    breaker = dataclasses.replace(watched, allowed_actions=watched.allowed_actions
                                  | (1 << Action.CIRCUIT_BREAKER))
    found = judge_probe(breaker, cand, call, alone.reads[0], alone.reads[1], header,
                        header.timestamp + 1)
    assert len(found) == 1
    ev = found[0].evidence
    assert decode_probe(ev.detail).rule in (EvidenceKind.BALANCE_DROP, EvidenceKind.OUTFLOW)
    assert evidence_shape(ev) is Shape.VOLATILITY
    assert choose_action(ev, watched.allowed_actions) is None
    assert choose_action(ev, breaker.allowed_actions) is Action.CIRCUIT_BREAKER

    # a co-signer refuses a PAUSE on it: the class mapping, before any re-run
    peer = Node(chain, tmp_path / "w2.sqlite", index=2)
    await peer.head()
    caplog.set_level(logging.INFO)
    pause = messages.sign_message(messages.Report(
        chain_id=31337, oracle=bytes.fromhex(deployment["oracle"][2:]), key_epoch=1,
        protocol_id=found[0].protocol_id, action=int(Action.PAUSE), nonce=0,
        deadline=report_deadline(decode_probe(ev.detail).sim_time), evidence=ev,
        observed_block=ev.block_to, guardian=3, signature=b""), dealing.shares[2], B)
    assert not await peer.pipeline.on_report(pause)
    assert "class mapping" in caplog.text and "volatility evidence" in caplog.text
    assert peer.pipeline.store.counts()["own_shares"] == 0


async def test_hostile_code_is_bounded_and_never_stalls_the_loop(chain, tmp_path):
    anvil, dealing, gset, deployment = chain
    user = Deployer.connect(anvil.rpc_url, HELPER)
    node = Node(chain, tmp_path / "h1.sqlite")
    names = ("Looper", "Reverter", "HugeReturn", "SelfDestructor")
    await _mine_and_watch(node, lambda: [user.deploy(n, deployment["pool"]) for n in names])
    hostile = [c for c in node.loop.candidates.values() if c.sender == bytes.fromhex(
        user.address[2:])][-4:]
    assert len(hostile) == 4
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await trio.sleep(0.01)
            ticks += 1

    header = await node.head()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        started = trio.current_time()
        for cand in hostile:  # every hostile candidate probed in full on the head
            assert await node.loop.probe(cand, header) == []
        elapsed = trio.current_time() - started
        nursery.cancel_scope.cancel()
    assert elapsed < 4 * BATCH_SECONDS
    assert ticks >= elapsed / 0.01 / 4  # the trio loop kept running while the probes ran
    assert node.detections == []
