"""The exploit scenario: an attacker account deploys the Attacker contract and sends one attack
transaction per block until the pool is drained, containment stops it, or the step limit is hit.
It reports what happened in numbers: blocks, seconds, funds drained and saved."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from web3 import Web3

from node.deploy import Deployer, DeployError
from node.devnet.contracts import ATTACKER_CAPITAL, E18, POOL_LIQUIDITY, PUMP_AMOUNT

STEP_GAS = 600_000


@dataclass
class AttackTx:
    step: int
    tx_hash: str
    block: int
    ok: bool
    sent_at: float
    reason: str = ""
    sent_unix: float = 0.0


@dataclass
class AttackResult:
    txs: list[AttackTx] = field(default_factory=list)
    contained: bool = False
    containment_block: int | None = None
    containment_tx: str | None = None
    containment_gas: int | None = None
    containment_hook_ok: bool | None = None
    containment_submitter: str | None = None
    pool_before: int = 0
    pool_after: int = 0

    @property
    def first_attack_block(self) -> int | None:
        return self.txs[0].block if self.txs else None

    @property
    def drained(self) -> int:
        return self.pool_before - self.pool_after

    @property
    def saved_fraction(self) -> float:
        return self.pool_after / self.pool_before if self.pool_before else 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(first_attack_block=self.first_attack_block, drained=self.drained,
                   saved_fraction=round(self.saved_fraction, 4))
        return out


def run_attack(deployer: Deployer, deployment: dict, *, max_steps: int = 12,
               step_timeout: float = 30.0, on_event: Callable[[str], None] = lambda _: None,
               stop: Callable[[], bool] = lambda: False, gap_blocks: int = 1) -> AttackResult:
    """Run the attack from `deployer`'s account (which holds the attacker capital): one attack
    transaction every `gap_blocks` blocks."""
    w3 = deployer.w3
    pool = deployer.contract("DemoLendingPool", deployment["pool"])
    usd = deployer.contract("DemoToken", deployment["usd"])
    oracle = deployer.contract("GuardianOracle", deployment["oracle"])
    result = AttackResult(pool_before=pool.functions.liquidity().call())
    attacker = deployer.deploy("Attacker", deployment["pool"])
    deployer.transact("fund attacker contract",
                      usd.functions.transfer(attacker.address, ATTACKER_CAPITAL))
    on_event(f"attacker contract {attacker.address} funded with {ATTACKER_CAPITAL // E18:,} USDd")
    pid = bytes.fromhex(deployment["protocol_id"][2:])
    for step in range(1, max_steps + 1):
        if stop():
            break
        if pool.functions.liquidity().call() == 0:
            on_event("pool drained")
            break
        sent, sent_unix = time.monotonic(), time.time()
        try:
            receipt = deployer.transact(f"attack step {step}", attacker.functions.step(PUMP_AMOUNT),
                                        gas=STEP_GAS)
            tx = AttackTx(step, "0x" + bytes(receipt["transactionHash"]).hex(),
                          receipt["blockNumber"], True, sent, sent_unix=sent_unix)
            borrowed = POOL_LIQUIDITY - pool.functions.liquidity().call()
            on_event(f"attack tx {step} in block {tx.block}: pool down "
                     f"{borrowed // E18:,} USDd")
        except DeployError as exc:
            tx = AttackTx(step, "", w3.eth.block_number, False, sent, reason=str(exc)[:200],
                          sent_unix=sent_unix)
            on_event(f"attack tx {step} FAILED in block {tx.block}: {_why(pool)}")
        result.txs.append(tx)
        note_containment(result, oracle, pid, deployment)
        if not tx.ok and result.contained:
            break
        _wait_next_block(w3, tx.block + gap_blocks - 1, step_timeout * gap_blocks)
    note_containment(result, oracle, pid, deployment)
    result.pool_after = pool.functions.liquidity().call()
    return result


def _why(pool) -> str:
    try:
        if pool.functions.isPaused().call():
            return "the pool is paused (contained)"
        if pool.functions.areWithdrawalsLocked().call():
            return "borrowing is locked (contained)"
    except Exception:  # noqa: BLE001 - only for the message
        pass
    return "reverted"


def note_containment(result: AttackResult, oracle, pid: bytes, deployment: dict) -> None:
    if result.contained:
        return
    logs = oracle.events.ContainmentEngaged().get_logs(from_block=deployment["deploy_block"],
                                                       argument_filters={"protocolId": pid})
    if not logs:
        return
    entry = logs[0]
    receipt = oracle.w3.eth.get_transaction_receipt(entry["transactionHash"])
    result.contained = True
    result.containment_block = entry["blockNumber"]
    result.containment_tx = "0x" + bytes(entry["transactionHash"]).hex()
    result.containment_gas = receipt["gasUsed"]
    result.containment_hook_ok = bool(entry["args"]["hookSucceeded"])
    result.containment_submitter = entry["args"]["submitter"]


def _wait_next_block(w3: Web3, block: int, timeout: float) -> None:
    """Until the chain moves past `block` (the node mines on its own clock)."""
    deadline = time.monotonic() + timeout
    while w3.eth.block_number <= block:
        if time.monotonic() > deadline:
            raise DeployError(f"the chain did not move past block {block} in {timeout}s")
        time.sleep(0.05)
