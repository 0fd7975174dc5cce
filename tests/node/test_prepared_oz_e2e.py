"""Issue 25 on an OpenZeppelin-style lending market (contracts/examples/prepared/OZLending.sol,
registered through the selector hook `pause()` as docs/integrate.md advises), in process, one
anvil and one deployment for the file (a fresh market per test: a contained one stays paused):

- deploy-then-call: `OZMarketExploit` deployed, called 3 blocks later, is contained before the
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
RACE_BLOCK_SECONDS = 4  # the same-block race: room for a loaded machine (scripts/bench e2e)
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
            attacker, gov, None, deployment, wait=3, market=market))
        assert run.contained_before_attack and run.lead_blocks >= 1, run.to_dict()
        assert not run.attack_ok, run.to_dict()
        assert result.pool_before == result.pool_after == OZ_LIQUIDITY, run.to_dict()
        assert result.containment_hook_ok, "the oracle's pause() call paused the market"
        assert attacker.contract("OZLendingMarket", market.market).functions.paused().call()
        reports = _reports(net, pid)
        assert reports and all(r.evidence.kind == EvidenceKind.PREPARED for r in reports)
        probe = decode_probe(reports[0].evidence.detail)
        assert probe.contract == bytes.fromhex(run.attacker_contract[2:])
        assert probe.sender == bytes.fromhex(attacker.address[2:])
        # nobody watched the mempool: found once mined; else while the deployment was pending
        assert probe.pending is mempool, run.to_dict()


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


def _send_early_in_a_block(w3, raw: bytes, offset: float) -> tuple[bytes, int]:
    block, seen = wait_new_block(w3, 30)
    time.sleep(max(0.0, seen + offset - time.monotonic()))
    return bytes(w3.eth.send_raw_transaction(raw)), block


@pytest.mark.timeout(150)
async def test_constructor_only_exploit_is_contained_in_its_block(chain, tmp_path):
    _, _, _, deployment, markets, attacker = chain
    market = markets["one-shot"]
    pid = bytes.fromhex(market.protocol_id[2:])
    w3 = attacker.w3
    w3.provider.make_request("evm_setIntervalMining", [RACE_BLOCK_SECONDS])
    try:
        async with _network(chain, tmp_path, mempool=True) as net:
            await _ready(net, pid)
            future = await trio.to_thread.run_sync(lambda: prefund(attacker, deployment))
            raw = _signed_one_shot(attacker, deployment, market.market)
            assert len(raw) <= MAX_RAW_TX_BYTES  # a pending report carries it
            tx_hash, _ = await trio.to_thread.run_sync(
                lambda: _send_early_in_a_block(w3, raw, 0.2))
            receipt = await trio.to_thread.run_sync(
                lambda: w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60))
            oracle = attacker.contract("GuardianOracle", deployment["oracle"])
            logs = oracle.events.ContainmentEngaged().get_logs(
                from_block=receipt["blockNumber"] - 2, argument_filters={"protocolId": pid})
            assert len(logs) == 1 and logs[0]["args"]["hookSucceeded"]
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
        w3.provider.make_request("evm_setIntervalMining", [BLOCK_SECONDS])
