"""EXTRACTION on a real chain (one anvil and one deployment for the whole file): the demo pool
registered with its claims view (`claimOf`, the marker entry). A whale taking back its own deposit
is no evidence, mined or pending (and its pending withdrawal is not front-run: it lands); an
attack transaction is, with facts a second guardian re-derives from its own node; a peer's report
whose facts do not reproduce is refused, naming the fact; native value is read from the trace."""

from __future__ import annotations

import dataclasses

import pytest
import trio
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.audit.judge import describe_rule
from node.chain.oracle import OracleClient
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import decode_raw_tx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.trace import mined_flows, pending_flows
from node.chain.view import RpcChainView
from node.deploy import Deployer
from node.detectors import NotObserved, default_detectors
from node.detectors.balance import BalanceDropDetector
from node.detectors.extraction import ExtractionDetector
from node.devnet.contracts import PUMP_AMOUNT, deploy_all
from node.devnet.inprocess import deal
from node.devnet.network import ATTACKER_KEY
from node.devnet.oneshot import prepare
from node.pending_loop import PendingLoop
from node.verification import ReportContradicted, ReportVerifier
from protocol import intent, messages
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, choose_action, report_deadline
from protocol.digest import protocol_id

from ..chain_snapshot import rolled_back

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]
B = get_backend()
E18 = 10**18
WHALE_KEY = DEV_PRIVATE_KEYS[3]


def _sign(w3, key: str, fn, gas: int = 600_000) -> bytes:
    account = Account.from_key(key)
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tip = 2 * 10**9
    tx = fn.build_transaction({"from": account.address, "gas": gas, "chainId": w3.eth.chain_id,
                               "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                               "maxPriorityFeePerGas": tip, "maxFeePerGas": base * 3 + tip})
    return bytes(account.sign_transaction(tx).raw_transaction)


class Guardian:
    """One guardian's chain side: registry, view, verifier, pending loop (no p2p)."""

    def __init__(self, url: str, oracle: bytes) -> None:
        self.rpc = ChainRpc(url)
        self.oracle = OracleClient(self.rpc, oracle)
        self.registry = RegistryTracker(self.oracle)
        self.view = RpcChainView(self.rpc)
        self.simulator = Simulator(self.rpc)
        self.verifier = ReportVerifier(chain_id=31337, oracle_address=oracle, key_epoch=1,
                                       view=self.view, oracle=self.oracle,
                                       watched=self.registry.watched, head_wait_seconds=2,
                                       simulator=self.simulator)
        self.header = None
        self.pending: list = []

        async def opened(det, _name):
            self.pending.append(det)
            return False

        self.loop = PendingLoop(queue=PendingQueue(), simulator=self.simulator, view=self.view,
                                detectors=default_detectors(), header=lambda: self.header,
                                watched=self.registry.watched, on_detection=opened,
                                max_per_block=8)

    async def head(self) -> int:
        self.header = await self.rpc.header("latest")
        await self.registry.on_head(self.header.number)
        await self.verifier.on_head(self.header.number)
        return self.header.number


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extraction")
    with Anvil(log_path=tmp / "anvil.log") as chain:
        dealing, gset = deal(4, 3, B, seed=24)
        gov = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])
        attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
        whale = Deployer.connect(chain.rpc_url, WHALE_KEY)
        dep = deploy_all(gov, gset, B, attacker=attacker.address).to_dict()
        usd = gov.contract("DemoToken", dep["usd"])
        gov.transact("mint", usd.functions.mint(whale.address, 600_000 * E18))
        whale.transact("approve", whale.contract("DemoToken", dep["usd"]).functions.approve(
            dep["pool"], 2**256 - 1))
        whale.transact("deposit", whale.contract("DemoLendingPool", dep["pool"]).functions
                       .deposit(600_000 * E18))
        yield {"chain": chain, "dep": dep, "gov": gov, "attacker": attacker, "whale": whale,
               "dealing": dealing, "oracle": bytes.fromhex(dep["oracle"][2:]),
               "pid": protocol_id(bytes.fromhex(dep["pool"][2:]))}


@pytest.fixture
def world(deployed):
    """Each test starts from the deployment, not from what an earlier test left in the chain."""
    with rolled_back(deployed["chain"].rpc_url):
        yield deployed


def _report(world, ev, guardian: int = 2) -> messages.Report:
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=world["oracle"], key_epoch=1, protocol_id=world["pid"],
        action=int(choose_action(EvidenceKind(ev.kind), 0b1010)), nonce=0,
        deadline=report_deadline(world["gov"].w3.eth.get_block(ev.block_to)["timestamp"]),
        evidence=ev, observed_block=ev.block_to, guardian=guardian, signature=b""),
        world["dealing"].shares[guardian - 1], B)


def test_the_claims_view_is_registered_through_its_marker(world):
    async def run():
        g = Guardian(world["chain"].rpc_url, world["oracle"])
        await g.head()
        params = g.registry.watched()[world["pid"]].params
        pool = bytes.fromhex(world["dep"]["pool"][2:])
        assert params.claims == pool  # split out of the invariants...
        assert all(inv.data != intent.CLAIM_OF_SELECTOR for inv in params.invariants)
        assert len(params.invariants) == 1  # ...leaving isSolvent() alone
        usd = bytes.fromhex(world["dep"]["usd"][2:])
        whale = bytes.fromhex(world["whale"].address[2:])
        claim = await g.view.call(pool, intent.claim_of_calldata(whale, usd), g.header.number)
        assert intent.decode_claim(claim) == 600_000 * E18  # its deposit, no borrowing power
    trio.run(run)


def test_a_whale_taking_back_its_own_is_no_evidence_pending_or_mined(world):
    """35% of the pool's cash leaves in one transaction: over the one-block drop limit (10%),
    which on the pending path used to pause the pool and revert the whale's withdrawal."""
    async def run():
        g = Guardian(world["chain"].rpc_url, world["oracle"])
        await g.head()
        whale = world["whale"]
        pool = whale.contract("DemoLendingPool", world["dep"]["pool"])
        raw = _sign(whale.w3, WHALE_KEY, pool.functions.withdraw(560_000 * E18))
        await g.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), g.header)
        assert g.pending == []  # not front-run: its own claims, and volatility is not pending
        assert g.loop.simulated == 1  # it was simulated and judged
        tx_hash = whale.w3.eth.send_raw_transaction(raw)
        receipt = whale.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        assert receipt["status"] == 1  # the withdrawal lands
        head = await g.head()
        watched = g.registry.watched()[world["pid"]]
        assert await ExtractionDetector().scan(g.view, watched, head) == []
        # the one-block drop rule sees it without the claims view (the old rules paused here);
        # with it, the drop stayed within the whale's own claims: no evidence at all
        assert await BalanceDropDetector().scan(g.view, watched, head) == []
        blind = dataclasses.replace(watched, params=dataclasses.replace(watched.params,
                                                                        claims=None))
        drops = await BalanceDropDetector().scan(g.view, blind, head)
        assert [d.evidence.kind for d in drops] == [EvidenceKind.BALANCE_DROP]
        assert choose_action(EvidenceKind.BALANCE_DROP, watched.allowed_actions) is None
    trio.run(run)


def test_an_attack_is_extraction_evidence_that_a_peer_reproduces(world):
    async def run():
        attacker = world["attacker"]
        contract = prepare(attacker, world["dep"])
        receipt = attacker.transact("attack", contract.functions.step(PUMP_AMOUNT),
                                    gas=600_000)
        g = Guardian(world["chain"].rpc_url, world["oracle"])
        head = await g.head()
        assert receipt["blockNumber"] == head
        watched = g.registry.watched()[world["pid"]]
        found = await ExtractionDetector().scan(g.view, watched, head)
        assert len(found) == 1, found
        ev = found[0].evidence
        # the evidence starts with the transaction: right after a release it counts, in the
        # release's own block it does not
        assert (ev.block_from, ev.block_to) == (head, head)
        after = dataclasses.replace(watched, release_block=head - 1)
        assert len(await ExtractionDetector().scan(g.view, after, head)) == 1
        same = dataclasses.replace(watched, release_block=head)
        assert await ExtractionDetector().scan(g.view, same, head) == []
        facts = intent.facts_from_fields(ev.observed, ev.detail)
        assert facts.tx_hash == bytes(receipt["transactionHash"])
        assert facts.beneficiaries == (bytes.fromhex(attacker.address[2:]),
                                       bytes.fromhex(contract.address[2:]))
        assert facts.extracted == 100_000 * E18 and facts.claims == 0  # the per-tx cap, not theirs
        assert facts.young == 1 and facts.flash_loans == 0
        assert (facts.held_before, facts.held_after) == (1, 0)  # isSolvent() broke with it
        assert "taken, the takers' own claims were 0" in found[0].verdict.reason
        # what `guardian audit` and the explorer print for it
        rule = await describe_rule(g.rpc, ev, watched)
        assert rule == (f"extraction in tx 0x{facts.tx_hash.hex()}: 100,000 taken by 2 "
                        f"account(s) whose claims were 0 (claims view), of "
                        f"{facts.balance_before // E18:,}; flash loans 0, young contract yes: "
                        f"holds"), rule

        # a second guardian, its own node view, re-derives every fact and signs
        peer = Guardian(world["chain"].rpc_url, world["oracle"])
        await peer.head()
        await peer.verifier.verify(_report(world, ev))
        # facts that do not reproduce are refused, naming the fact
        bad = {
            "extracted": dataclasses.replace(ev, observed=(ev.observed[0] * 2,) + ev.observed[1:]),
            "young": dataclasses.replace(ev, observed=ev.observed[:4] + (0,) + ev.observed[5:]),
            "beneficiaries": dataclasses.replace(ev, detail=ev.detail[:52]),
            "is in block": dataclasses.replace(ev, block_from=ev.block_to - 1,
                                               block_to=ev.block_to - 1),
            "not on our chain": dataclasses.replace(ev, detail=b"\x01" * 32 + ev.detail[32:]),
        }
        for why, evidence in bad.items():
            with pytest.raises(ReportContradicted, match=why):
                await peer.verifier.verify(_report(world, evidence))
        with pytest.raises(NotObserved, match="registration"):
            await ExtractionDetector().reobserve(peer.view, ev)  # no params: cannot judge
    trio.run(run)


def test_native_value_is_read_from_the_trace_and_the_simulation(world):
    async def run():
        gov = world["gov"]
        to = Account.create().address
        tx_hash = gov.w3.eth.send_transaction({"from": gov.address, "to": to, "value": 7})
        gov.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        g = Guardian(world["chain"].rpc_url, world["oracle"])
        flows = await mined_flows(g.rpc, bytes(tx_hash))
        native = intent.Transfer(intent.ZERO, bytes.fromhex(gov.address[2:]),
                                 bytes.fromhex(to[2:]), 7)
        assert flows.ok and flows.transfers == (native,)
        assert await mined_flows(g.rpc, b"\x01" * 32) is None
        await g.head()
        raw = Account.from_key(DEV_PRIVATE_KEYS[5]).sign_transaction({
            "to": to, "value": 9, "gas": 21_000, "chainId": 31337, "nonce":
                gov.w3.eth.get_transaction_count(Account.from_key(DEV_PRIVATE_KEYS[5]).address),
            "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9}).raw_transaction
        tx = decode_raw_tx(bytes(raw))
        outcome = await g.simulator.simulate(tx, g.header, g.header.timestamp + 1, [])
        assert pending_flows(outcome).transfers == (
            intent.Transfer(intent.ZERO, tx.sender, bytes.fromhex(to[2:]), 9),)
    trio.run(run)


def test_the_claims_marker_round_trips_through_the_registration_option():
    from node.registration import RegistrationError, claims_invariant, parse_invariant

    adapter = "0x" + "ab" * 20
    value = claims_invariant(adapter)
    assert value == f"{adapter}:0x06b6bf55"
    assert parse_invariant(value) == intent.claims_marker(bytes.fromhex("ab" * 20))
    with pytest.raises(RegistrationError):
        claims_invariant("0x1234")


def test_trace_value_skips_reverted_frames_and_refuses_malformed_traces():
    from node.chain.decode import ChainError
    from node.chain.trace import native_from_trace

    a, b, c = "0x" + "0a" * 20, "0x" + "0b" * 20, "0x" + "0c" * 20
    trace = {"type": "CALL", "from": a, "to": b, "value": "0x5", "calls": [
        {"type": "CALL", "from": b, "to": c, "value": "0x3", "error": "execution reverted",
         "calls": [{"type": "CALL", "from": c, "to": a, "value": "0x9"}]},
        {"type": "DELEGATECALL", "from": b, "to": c, "value": "0x5"},  # moves nothing
        {"type": "CALL", "from": b, "to": a, "value": "0x2"}]}
    ab = (bytes.fromhex("0a" * 20), bytes.fromhex("0b" * 20))
    assert native_from_trace(trace) == [intent.Transfer(intent.ZERO, ab[0], ab[1], 5),
                                        intent.Transfer(intent.ZERO, ab[1], ab[0], 2)]
    for bad in ([1, 2], {"type": "CALL", "from": a, "to": "0x12", "value": "0x1"},
                {"type": "CALL", "value": "-1"}, {"type": "CALL", "calls": "x"},
                {"type": "CALL", "calls": [None]}):
        with pytest.raises(ChainError):
            native_from_trace(bad)


def test_a_failed_read_among_the_facts_surfaces_as_its_own_error():
    """The facts are read at once; one read's ChainError must reach the caller as a ChainError
    (the verifier retries on it), not wrapped in an exception group."""
    from node.chain.decode import ChainError
    from node.chain.trace import TxFlows
    from node.detectors.extraction import derive_facts
    from protocol.detection import DetectionParams

    class Failing:
        async def call(self, target, data, block):
            raise ChainError("eth_call: node gone")

        async def balance(self, token, holder, block):
            return 1

        async def code_size(self, address, block):
            return 0

    params = DetectionParams((b"\x01" * 20,), (b"\x02" * 20,), 0, 0, 0, (), claims=b"\x03" * 20)
    flows = TxFlows(b"\x04" * 32, b"\x05" * 20, b"\x06" * 20, 10, True, ())
    with pytest.raises(ChainError, match="node gone"):
        trio.run(derive_facts, Failing(), params, flows, b"\x02" * 20)
