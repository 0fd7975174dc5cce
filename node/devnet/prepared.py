"""The preparation scenario: an exploit in two steps, deployment then call, and benign contracts
deployed on the same pool first as a false-positive control.

    benign user: DepositHelper, SwapRouter, PositionKeeper deployed and used (a deposit, a swap),
        and a whale's WithdrawalHelper holding a large deposit (probed from the whale, it takes
        the deposit back: beyond the drop limit, within its claims), then 3 blocks: none may be
        contained
    attacker: capital sent to the address its next deployment will have, the Attacker deployed
        (through the mempool), a random 1-5 blocks, then the attack transaction (`step`)

With a `market` (node.devnet.oz_market: the OpenZeppelin lending market) the attacker deploys
`OZMarketExploit` against it instead, and calls `attack()` once; the benign contracts still use
the demo pool, and a containment of either protocol during the control blocks counts.

The result says whether the containment was engaged before the attack transaction was broadcast
(and by how many blocks), and whether the attack then reverted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from web3 import Web3

from node.anvil import DEV_PRIVATE_KEYS
from node.chain.probe import creation_address
from node.deploy import Deployer, DeployError
from node.devnet.attack import STEP_GAS, AttackResult, AttackTx, note_containment
from node.devnet.contracts import ATTACKER_CAPITAL, E18, PUMP_AMOUNT
from node.devnet.oneshot import wait_new_block
from node.devnet.oz_market import (
    ATTACK_GAS,
    OZMarket,
    deploy_oz_market,
    next_contract,
    prefund,
)

BENIGN = ("DepositHelper", "SwapRouter", "PositionKeeper", "WithdrawalHelper")
BENIGN_KEY = DEV_PRIVATE_KEYS[8]  # the benign integrator's account
BENIGN_DEPOSIT = 50_000 * E18
WHALE_DEPOSIT = 400_000 * E18  # well beyond the demo's 10% one-block drop limit
CONTROL_BLOCKS = 3


@dataclass
class PreparedRun:
    benign_contracts: list[str]
    benign_contained: bool  # a containment engaged while only the benign contracts were new
    attacker_contract: str
    deploy_block: int
    wait_blocks: int  # drawn in 1..5: blocks between the deployment and the attack
    attack_sent_block: int  # the head when the attack transaction was broadcast
    attack_block: int | None
    attack_ok: bool
    containment_block: int | None
    contained_before_attack: bool  # engaged in a block before the attack was broadcast
    lead_blocks: int | None  # attack_sent_block - containment_block (>= 0: ahead)
    pool_before: int
    pool_after: int

    def to_dict(self) -> dict:
        return asdict(self)


def benign_phase(user: Deployer, gov: Deployer, deployment: dict, on_event) -> list[str]:
    """Deploy and use the benign integrations from `user`, then the whale's helper (the user
    lets its next contract take the whale deposit, which it deposits at creation)."""
    usd = user.contract("DemoToken", deployment["usd"])
    gov.transact("benign capital", gov.contract("DemoToken", deployment["usd"]).functions.mint(
        user.address, 4 * BENIGN_DEPOSIT + WHALE_DEPOSIT))
    made = [user.deploy(name, deployment["amm"] if name == "SwapRouter" else deployment["pool"])
            for name in BENIGN[:3]]
    for contract in made:
        user.transact("approve", usd.functions.approve(contract.address, 2**256 - 1))
    user.transact("deposit via helper", made[0].functions.deposit(BENIGN_DEPOSIT))
    user.transact("swap via router", made[1].functions.swap(False, BENIGN_DEPOSIT // 10, 0))
    nonce = user.w3.eth.get_transaction_count(user.address)
    helper = Web3.to_checksum_address(creation_address(bytes.fromhex(user.address[2:]),
                                                       nonce + 1))
    user.transact("whale approves its helper", usd.functions.approve(helper, WHALE_DEPOSIT))
    made.append(user.deploy("WithdrawalHelper", deployment["pool"]))
    if made[-1].address != helper:
        raise DeployError("the whale's helper is not at the address its deposit was approved for")
    on_event(f"benign contracts deployed and used: "
             f"{', '.join(f'{n} {c.address}' for n, c in zip(BENIGN, made, strict=True))}")
    return [c.address for c in made]


def attack_prepared(attacker: Deployer, gov: Deployer, user: Deployer | None, deployment: dict,
                    *, rng: random.Random | None = None,
                    on_event: Callable[[str], None] = lambda _: None,
                    step_timeout: float = 60.0, wait: int | None = None,
                    market: OZMarket | None = None) -> tuple[AttackResult, PreparedRun]:
    """The scenario (module docstring); `wait`: blocks between deployment and attack (default a
    random 1-5); `market`: attack this OpenZeppelin market (node.devnet.oz_market) with
    OZMarketExploit instead of the demo pool with the Attacker."""
    rng = rng or random.Random()
    w3 = attacker.w3
    oracle = attacker.contract("GuardianOracle", deployment["oracle"])
    if market is None:
        pool = attacker.contract("DemoLendingPool", deployment["pool"])
        left = pool.functions.liquidity().call
        pid = bytes.fromhex(deployment["protocol_id"][2:])
    else:
        left = attacker.contract("OZLendingMarket", market.market).functions.cash().call
        pid = bytes.fromhex(market.protocol_id[2:])
    result = AttackResult(pool_before=left())
    benign: list[str] = []
    if user is not None:
        benign = benign_phase(user, gov, deployment, on_event)
        for _ in range(CONTROL_BLOCKS):
            wait_new_block(w3, step_timeout)
        note_containment(result, oracle, pid, deployment)
        control = AttackResult()  # the benign contracts used the demo pool
        note_containment(control, oracle, bytes.fromhex(deployment["protocol_id"][2:]),
                         deployment)
        benign_contained = result.contained or control.contained
        on_event("benign contracts: " + ("CONTAINED (a false positive)" if benign_contained
                                          else f"not contained after {CONTROL_BLOCKS} blocks"))
    else:
        benign_contained = False
    # the attack contract's capital waits at its future address (a flash loan does the same)
    if market is None:
        future = next_contract(attacker, 1)
        usd = attacker.contract("DemoToken", deployment["usd"])
        attacker.transact("prefund", usd.functions.transfer(future, ATTACKER_CAPITAL))
        contract = attacker.deploy("Attacker", deployment["pool"])
        call, gas = contract.functions.step(PUMP_AMOUNT), STEP_GAS
    else:
        prefund(attacker, deployment)
        contract = attacker.deploy("OZMarketExploit", market.market, deployment["amm"])
        call, gas = contract.functions.attack(), ATTACK_GAS
    deploy_block = _first_block_with_code(w3, contract.address)
    wait = rng.randint(1, 5) if wait is None else wait
    on_event(f"attack contract {contract.address} deployed in block {deploy_block}; "
             f"attacking in {wait} block(s)")
    while w3.eth.block_number < deploy_block + wait:
        wait_new_block(w3, step_timeout)
    note_containment(result, oracle, pid, deployment)
    sent_block, sent, sent_unix = w3.eth.block_number, time.monotonic(), time.time()
    try:
        receipt = attacker.transact("attack", call, gas=gas)
        tx = AttackTx(1, "0x" + bytes(receipt["transactionHash"]).hex(), receipt["blockNumber"],
                      True, sent, sent_unix=sent_unix)
    except DeployError as exc:
        tx = AttackTx(1, "", w3.eth.block_number, False, sent, reason=str(exc)[:200],
                      sent_unix=sent_unix)
    result.txs.append(tx)
    before = result.contained
    note_containment(result, oracle, pid, deployment)
    result.pool_after = left()
    lead = (sent_block - result.containment_block) if result.containment_block is not None \
        else None
    on_event(f"attack tx in block {tx.block}: {'landed' if tx.ok else 'REVERTED'}; containment "
             f"{'before the attack, ' + str(lead) + ' block(s) ahead' if before else 'not before the attack'}")
    run = PreparedRun(benign, benign_contained, contract.address, deploy_block, wait, sent_block,
                      tx.block if tx.ok else None, tx.ok, result.containment_block,
                      before and not benign_contained, lead if before else None,
                      result.pool_before, result.pool_after)
    return result, run


def _first_block_with_code(w3, address: str) -> int:
    """The block that created `address` (a new contract has code from its block on)."""
    number = w3.eth.block_number
    while number > 0 and w3.eth.get_code(address, number - 1):
        number -= 1
    return number


TARGETS = ("demo", "oz-lending")  # `--target`: the demo pool, or the OpenZeppelin market


def scenario_prepared(rpc_url: str, attacker: Deployer, doc: dict, on_event,
                      target: str = "demo") -> tuple[AttackResult, PreparedRun]:
    """`scripts/devnet --scenario prepared [--target oz-lending]` on a deployed network (`doc`);
    oz-lending deploys and registers the OpenZeppelin market first (node.devnet.oz_market)."""
    from node.devnet.network import DEPLOYER_KEY  # network imports the devnet's other parts
    gov = Deployer.connect(rpc_url, DEPLOYER_KEY)
    market = deploy_oz_market(gov, doc["deployment"], log=on_event) \
        if target == "oz-lending" else None
    return attack_prepared(attacker, gov, Deployer.connect(rpc_url, BENIGN_KEY),
                           doc["deployment"], on_event=on_event, market=market)


def prepared_summary(run: PreparedRun, target: str = "demo") -> dict:
    """The lines `scripts/devnet --scenario prepared` adds to its summary."""
    return {"prepared_target": target, "contained_before_attack_tx": run.contained_before_attack,
            "blocks_of_lead": run.lead_blocks, "attack_tx_reverted": not run.attack_ok,
            "wait_blocks": run.wait_blocks, "attacker_deploy_block": run.deploy_block,
            "benign_contracts": len(run.benign_contracts),
            "benign_contained": run.benign_contained}
