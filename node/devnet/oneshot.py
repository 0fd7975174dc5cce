"""The one-transaction exploit: the demo pool deployed without its per-transaction cap is drained
by a single flash-loan-style attack transaction (pump the AMM, borrow everything against the
inflated collateral, dump), broadcast at a chosen moment within a block. What happened is judged
from the chain: was the containment ordered before the exploit in the same block (the exploit then
reverts, or is not included), or did the exploit land first; and how much of the pool was saved.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass

from eth_account import Account
from web3 import Web3

from node.artifacts import load_artifact
from node.deploy import Deployer
from node.devnet.attack import AttackResult, AttackTx, note_containment
from node.devnet.contracts import ATTACKER_CAPITAL, PUMP_AMOUNT
from node.stages import after, run_stages
from node.store import incident_key

EXPLOIT_GAS = 600_000
EXPLOIT_TIP = 2 * 10**9  # the attacker's priority fee: a containment must outbid it
# The devnet's default: 2 s blocks, the exploit broadcast at a uniformly random moment within the
# first quarter of a block (so at least 1.5 s remain on a loaded 2-core machine; `scripts/bench e2e`
# measures broadcasts over the whole block).
ONESHOT_BLOCK_SECONDS = 2.0
ONESHOT_WINDOW = 0.25


@dataclass
class OneShotResult:
    exploit_tx: str
    sent_block: int  # the head when the exploit was broadcast
    offset_s: float  # seconds after that head's arrival the exploit was broadcast
    exploit_block: int | None  # None: not included (yet)
    exploit_ok: bool
    containment_block: int | None
    containment_first: bool  # the containment executed before the exploit in the same block
    pool_before: int
    pool_after: int
    sent_unix: float = 0.0  # wall-clock time of the broadcast

    @property
    def saved_fraction(self) -> float:
        return self.pool_after / self.pool_before if self.pool_before else 0.0

    @property
    def same_block(self) -> bool:
        """Contained before the exploit could take anything (same block, or exploit excluded)."""
        return self.containment_first and not self.exploit_ok

    def outcome(self) -> str:
        if self.same_block and self.exploit_block == self.containment_block:
            return "exploit executed after the containment in the same block and reverted"
        if self.same_block:
            return "contained before the exploit; the exploit reverted"
        if self.exploit_ok:
            return "exploit landed before the containment"
        return "exploit failed"

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(saved_fraction=round(self.saved_fraction, 4), same_block=self.same_block,
                   outcome=self.outcome())
        return out


def prepare(attacker: Deployer, deployment: dict, *, fund: bool = True):
    """The Attacker contract, funded with the attacker's capital (the account must hold it)."""
    contract = attacker.deploy("Attacker", deployment["pool"])
    if fund:
        usd = attacker.contract("DemoToken", deployment["usd"])
        attacker.transact("fund attacker contract",
                          usd.functions.transfer(contract.address, ATTACKER_CAPITAL))
    return contract


def sign_exploit(attacker: Deployer, contract, *, tip: int = EXPLOIT_TIP,
                 fee_cap: int | None = None) -> bytes:
    """The exploit transaction; `fee_cap` (maxFeePerGas) defaults to three base fees plus the tip
    (a generous cap orders it first in a mempool that orders by fee cap, as anvil's does)."""
    w3 = attacker.w3
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tx = contract.functions.step(PUMP_AMOUNT).build_transaction({
        "from": attacker.address, "gas": EXPLOIT_GAS, "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(attacker.address, "pending"),
        "maxPriorityFeePerGas": tip, "maxFeePerGas": fee_cap or base * 3 + tip})
    return bytes(Account.from_key(attacker.account.key).sign_transaction(tx).raw_transaction)


def wait_new_block(w3: Web3, timeout: float = 60.0) -> tuple[int, float]:
    """Block until a new head appears; (its number, the monotonic time it was seen)."""
    start = w3.eth.block_number
    deadline = time.monotonic() + timeout
    while (number := w3.eth.block_number) <= start:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no block after {start} in {timeout}s")
        time.sleep(0.01)
    return number, time.monotonic()


def judge(w3: Web3, deployment: dict, exploit_hash: bytes, sent_block: int, offset: float,
          pool_before: int, timeout: float = 60.0, sent_unix: float = 0.0) -> OneShotResult:
    """Wait for the exploit's receipt (or give up), then read what the chain shows."""
    receipt = None
    deadline = time.monotonic() + timeout
    while receipt is None and time.monotonic() < deadline:
        try:
            receipt = w3.eth.get_transaction_receipt(exploit_hash)
        except Exception:  # noqa: BLE001 - not mined yet
            time.sleep(0.05)
    oracle = w3.eth.contract(address=deployment["oracle"],
                             abi=load_artifact("GuardianOracle")["abi"])
    pid = bytes.fromhex(deployment["protocol_id"][2:])
    logs = oracle.events.ContainmentEngaged().get_logs(
        from_block=max(sent_block - 2, 0), argument_filters={"protocolId": pid})
    c_block = logs[0]["blockNumber"] if logs else None
    c_index = logs[0]["transactionIndex"] if logs else None
    e_block = receipt["blockNumber"] if receipt else None
    first = c_block is not None and (e_block is None or c_block < e_block or (
        c_block == e_block and c_index < receipt["transactionIndex"]))
    pool = w3.eth.contract(address=deployment["pool"], abi=load_artifact("DemoLendingPool")["abi"])
    return OneShotResult(
        exploit_tx="0x" + exploit_hash.hex(), sent_block=sent_block, offset_s=round(offset, 3),
        exploit_block=e_block, exploit_ok=bool(receipt and receipt["status"] == 1),
        containment_block=c_block, containment_first=first, pool_before=pool_before,
        pool_after=pool.functions.liquidity().call(), sent_unix=sent_unix)


def run_oneshot(attacker: Deployer, deployment: dict, contract, offset: float,
                timeout: float = 60.0, fee_cap: int | None = None) -> OneShotResult:
    """Broadcast the exploit `offset` seconds after the next head appears, then judge it."""
    w3 = attacker.w3
    pool = w3.eth.contract(address=deployment["pool"], abi=load_artifact("DemoLendingPool")["abi"])
    before = pool.functions.liquidity().call()
    raw = sign_exploit(attacker, contract, fee_cap=fee_cap)
    block, seen = wait_new_block(w3, timeout)
    time.sleep(max(0.0, seen + offset - time.monotonic()))
    sent_unix, offset = time.time(), time.monotonic() - seen
    tx_hash = bytes(w3.eth.send_raw_transaction(raw))
    return judge(w3, deployment, tx_hash, block, offset, before, timeout, sent_unix)


def attack_oneshot(attacker: Deployer, deployment: dict, *, block_time: float, window: float,
                   on_event=lambda _: None, rng: random.Random | None = None,
                   offset: float | None = None):
    """The devnet's default scenario: the exploit broadcast at a uniformly random moment within
    the first `window` (a fraction) of a block, or `offset` seconds after a head. Returns
    (AttackResult, OneShotResult)."""
    rng = rng or random.Random()
    contract = prepare(attacker, deployment)
    on_event(f"attacker contract {contract.address} funded; the pool has no per-transaction cap")
    offset = rng.uniform(0.0, window * block_time) if offset is None else offset
    one = run_oneshot(attacker, deployment, contract, offset, timeout=max(30.0, 5 * block_time))
    on_event(f"exploit tx {one.exploit_tx[:18]}... broadcast {one.offset_s:.2f}s into the block "
             f"after {one.sent_block}: {one.outcome()}")
    result = AttackResult(pool_before=one.pool_before, pool_after=one.pool_after)
    result.txs.append(AttackTx(1, one.exploit_tx, one.exploit_block or 0, one.exploit_ok, 0.0,
                               sent_unix=one.sent_unix))
    oracle = attacker.contract("GuardianOracle", deployment["oracle"])
    note_containment(result, oracle, bytes.fromhex(deployment["protocol_id"][2:]), deployment)
    return result, one


def oneshot_summary(summary: dict, one: OneShotResult, sent_unix: float | None, statuses,
                    deployment: dict) -> None:
    """The devnet summary's lines about the race: the outcome, the broadcast-to-sent time and
    each stage's time after the broadcast (`node.stages`, first guardian to reach it)."""
    summary.pop("seconds_from_attack_broadcast_to_containment", None)  # whole seconds
    if sent_unix:
        summary["exploit_broadcast_to_containment_sent_s"] = round(sent_unix - one.sent_unix, 3)
    incident = incident_key(bytes.fromhex(deployment["protocol_id"][2:]), 0)
    summary.update(scenario="oneshot", exploit_outcome=one.outcome(), same_block=one.same_block,
                   broadcast_offset_s=one.offset_s,
                   stages_ms_after_broadcast=after(run_stages(statuses, incident, one.sent_unix)))
