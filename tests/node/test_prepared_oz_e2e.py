"""Issue 25 on an OpenZeppelin-style lending market (contracts/examples/prepared/OZLending.sol,
registered through the selector hook `pause()` as docs/integrate.md advises), in process, one
anvil and one deployment for the file (a fresh market per test: a contained one stays paused):

- deploy-then-call: `OZMarketExploit` deployed, called 5 blocks later, is contained before the
  attack transaction is sent, whether the guardians see its deployment only once mined (a
  private builder: nobody watches the mempool) or pending; the attack then reverts;
- constructor-only: `OZMarketOneShot` drains the market in its creating transaction; guardians
  that watch the mempool simulate the creation and contain it in the same block, ordered before
  it, so it reverts; the preparation watch sees the creation too, finds nothing to probe (the
  runtime code names nothing) and opens no second incident."""

from __future__ import annotations

import time

import pytest
import trio
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.artifacts import load_artifact
from node.chain.rawtx import decode_raw_tx
from node.config import PendingSection
from node.deploy import Deployer
from node.devnet.contracts import deploy_all
from node.devnet.inprocess import deal, guardian_network
from node.devnet.oneshot import wait_new_block
from node.devnet.oz_market import OZ_CAPITAL, OZ_LIQUIDITY, deploy_oz_market, market_cash, prefund
from node.devnet.prepared import attack_prepared
from node.store import incident_key
from protocol import messages
from protocol.bls import get_backend
from protocol.detection import EvidenceKind
from protocol.evidence import evidence_hash
from protocol.pending import MAX_RAW_TX_BYTES
from protocol.prepared import decode_probe

pytestmark = [pytest.mark.chain, pytest.mark.slow]

B = get_backend()
BLOCK_SECONDS = 2
# blocks between the deployment and the call: the scenario's longest wait (1-5), so the mined
# path's detection, agreement and submission have 10 s on a loaded machine (a shorter wait is
# the race `scripts/bench prepared` measures)
WAIT_BLOCKS = 5
N, T = 4, 3
MARKETS = ("mined-only", "mempool", "one-shot")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Anvil, the oracle and demo protocol, and one OZ market per test, deployed under automine
    (fast); then 2 s blocks."""
    with Anvil(log_path=tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        dealing, gset = deal(N, T, B, seed=26)
        gov = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
        attacker = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[9])
        deployment = deploy_all(gov, gset, B, attacker=attacker.address).to_dict()
        markets = {name: deploy_oz_market(gov, deployment) for name in MARKETS}
        usd = gov.contract("DemoToken", deployment["usd"])  # each exploit's capital
        gov.transact("capital", usd.functions.mint(attacker.address, OZ_CAPITAL * len(MARKETS)))
        gov.w3.provider.make_request("evm_setIntervalMining", [BLOCK_SECONDS])
        yield anvil, dealing, gset, deployment, markets, attacker


def _network(chain, tmp_path, *, mempool: bool):
    anvil, dealing, gset, deployment, _, _ = chain
    keys = {i: bytes.fromhex(DEV_PRIVATE_KEYS[i][2:]) for i in range(1, N + 1)}
    return guardian_network(
        dealing=dealing, gset=gset, backend=B, rpc_url=anvil.rpc_url, ws_url=anvil.ws_url,
        oracle=bytes.fromhex(deployment["oracle"][2:]), chain_id=deployment["chain_id"],
        submitter_keys=keys, data_dir=tmp_path, stagger_seconds=1.0,
        pending=PendingSection() if mempool else PendingSection(max_per_block=0))


async def _ready(net, market_pid: bytes):
    """Mesh formed and every guardian watching the market (its registry read on a head)."""
    with trio.fail_after(60):
        for g in net.guardians.values():
            await g.p2p.wait_for_peers(1, mesh=True)
        while any(len(g.state.live_guardians()) < N - 1 or market_pid not in g.prepared.watched()
                  for g in net.guardians.values()):
            await trio.sleep(0.1)


def _reports(net, pid: bytes) -> list:
    return [messages.decode(stored.encoded) for g in net.guardians.values()
            for stored in g.store.reports_for(incident_key(pid, 0))]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("mempool", [False, True], ids=["mined-only", "mempool"])
async def test_oz_market_exploit_is_contained_before_its_call(chain, tmp_path, mempool):
    anvil, _, _, deployment, markets, attacker = chain
    market = markets["mempool" if mempool else "mined-only"]
    pid = bytes.fromhex(market.protocol_id[2:])
    gov = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
    async with _network(chain, tmp_path, mempool=mempool) as net:
        await _ready(net, pid)
        result, run = await trio.to_thread.run_sync(lambda: attack_prepared(
            attacker, gov, None, deployment, wait=WAIT_BLOCKS, market=market))
        timeline = (f"deployed in {run.deploy_block}, attack sent at head {run.attack_sent_block}"
                    f", contained in {run.containment_block}, attack ok {run.attack_ok}")
        assert run.contained_before_attack and run.lead_blocks >= 1, timeline
        assert not run.attack_ok, timeline
        assert result.pool_before == result.pool_after == OZ_LIQUIDITY, run.to_dict()
        assert result.containment_hook_ok, "the oracle's pause() call paused the market"
        assert attacker.contract("OZLendingMarket", market.market).functions.paused().call()
        reports = _reports(net, pid)
        assert reports and all(r.evidence.kind == EvidenceKind.PREPARED for r in reports)
        probe = decode_probe(reports[0].evidence.detail)
        assert probe.contract == bytes.fromhex(run.attacker_contract[2:])
        assert probe.sender == bytes.fromhex(attacker.address[2:])
        # nobody watched the mempool: found once mined; else while the deployment was pending
        assert probe.pending is mempool, timeline


def _signed_one_shot(attacker: Deployer, deployment: dict, market: str) -> bytes:
    """The constructor-only exploit's creation, with a generous fee cap (anvil orders its mempool
    by fee cap: the containment must outbid it, and does)."""
    w3 = attacker.w3
    artifact = load_artifact("OZMarketOneShot")
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tx = factory.constructor(market, deployment["amm"], deployment["usd"],
                             deployment["weth"]).build_transaction({
        "from": attacker.address, "gas": 1_500_000, "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(attacker.address, "pending"),
        "maxPriorityFeePerGas": 2 * 10**9, "maxFeePerGas": 100 * 10**9 + base})
    return bytes(Account.from_key(attacker.account.key).sign_transaction(tx).raw_transaction)


def _mine_once_contained(w3, raw: bytes, oracle: str, timeout: float = 60.0) -> bytes:
    """Mining held: broadcast the creation, wait until a containment for it is in the mempool
    too, then mine ONE block. The block's order (by fee) is then the race's outcome; how fast
    the containment gets there within a real block is what `scripts/bench e2e` measures."""
    tx_hash = bytes(w3.eth.send_raw_transaction(raw))
    deadline = time.monotonic() + timeout
    while not any((tx.get("to") or "").lower() == oracle.lower()
                  for tx in w3.eth.get_block("pending", True)["transactions"]):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no containment in the mempool within {timeout}s")
        time.sleep(0.05)
    w3.provider.make_request("evm_mine", [])
    return tx_hash


async def _hold_mining(net, w3):
    """Stop mining, then wait until every guardian's watch is on the last block."""
    await trio.to_thread.run_sync(lambda: wait_new_block(w3, 30))
    w3.provider.make_request("evm_setIntervalMining", [0])
    w3.provider.make_request("evm_setAutomine", [False])
    head = w3.eth.block_number
    with trio.fail_after(30):
        while any((h := g.prepared.header()) is None or h.number < head
                  for g in net.guardians.values()):
            await trio.sleep(0.05)


@pytest.mark.timeout(150)
async def test_constructor_only_exploit_is_contained_in_its_block(chain, tmp_path):
    _, _, _, deployment, markets, attacker = chain
    market = markets["one-shot"]
    pid = bytes.fromhex(market.protocol_id[2:])
    w3 = attacker.w3
    try:
        async with _network(chain, tmp_path, mempool=True) as net:
            await _ready(net, pid)
            future = await trio.to_thread.run_sync(lambda: prefund(attacker, deployment))
            raw = _signed_one_shot(attacker, deployment, market.market)
            assert len(raw) <= MAX_RAW_TX_BYTES  # a pending report carries it
            await _hold_mining(net, w3)
            tx_hash = await trio.to_thread.run_sync(
                lambda: _mine_once_contained(w3, raw, deployment["oracle"]))
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            oracle = attacker.contract("GuardianOracle", deployment["oracle"])
            logs = oracle.events.ContainmentEngaged().get_logs(
                from_block=receipt["blockNumber"] - 2, argument_filters={"protocolId": pid})
            seen = {i: (g.pending_loop.simulated, len(_reports(net, pid)))
                    for i, g in net.guardians.items()}
            assert len(logs) == 1 and logs[0]["args"]["hookSucceeded"], (
                dict(receipt), seen, w3.eth.block_number)
            assert (logs[0]["blockNumber"], logs[0]["transactionIndex"]) < (
                receipt["blockNumber"], receipt["transactionIndex"]), "contained first"
            assert receipt["status"] == 0 and not w3.eth.get_code(future)
            assert market_cash(attacker, market) == OZ_LIQUIDITY
            # the pending path's evidence: the creation itself, simulated before it was mined
            reports = _reports(net, pid)
            assert reports
            for report in reports:
                ev = report.evidence
                assert ev.kind != EvidenceKind.PREPARED and ev.pending is not None
                assert decode_raw_tx(ev.pending.raw_tx).to is None
            # one incident, one containment: the evidence it engaged on is one of the reports'
            # (guardians on different heads may derive different digests; the better converges)
            digests = {evidence_hash(r.evidence) for r in reports}
            assert bytes(logs[0]["args"]["evidenceHash"]) in digests, digests
            # the preparation watch saw the creation, had nothing to probe, reported nothing
            filtered = [g.metrics.registry.get_sample_value(
                "guardian_prepared_creations_total", {"result": "filtered"}) or 0
                for g in net.guardians.values()]
            assert any(filtered), filtered
            assert not any(cand for g in net.guardians.values()
                           for cand in g.prepared.candidates
                           if cand == bytes.fromhex(future[2:]))
    finally:
        w3.provider.make_request("evm_setIntervalMining", [BLOCK_SECONDS])  # automine stays off
