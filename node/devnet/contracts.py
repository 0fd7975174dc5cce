"""Deploy the GuardianOracle and the demo protocol, register the demo with the guardians'
detection parameters, and fund the accounts a devnet needs. Used by `guardian devnet`, the docker
deployer and the tests, so all three run the same sequence.

Sequence (amounts in whole tokens, 18 decimals):
  1. GuardianOracle(governance, group key (EIP-2537), t, n, rotation delay, registration bond)
  2. USDd, WETHd tokens; DemoAMM(WETHd, USDd) seeded with 1,000 WETHd + 2,000,000 USDd
  3. DemoLendingPool(WETHd, USDd, AMM, max borrow 100,000 per tx, or no cap for the
     one-transaction scenario), 1,000,000 USDd lent to it
  4. register the pool (governance is the admin and registers it itself, so it is in force at
     once; it pays the oracle's refundable bond): pause or collateral lock, hook IGuardable, 1 h max, 10 min cooldown;
     detection: monitored [pool], tokens [USDd], outflow 15% per 20 blocks, one-block drop 10%,
     invariant pool.isSolvent(), claims view pool.claimOf(address,address) (the marker entry)
  5. the attacker account receives 2,500,000 USDd of capital
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from eth_account import Account
from web3 import Web3

from node.deploy import Deployer
from node.registration import build_registration, claims_invariant
from protocol.bls import Backend
from protocol.digest import protocol_id
from protocol.guardian_set import GuardianSet
from protocol.oracle_limits import DEFAULT_REGISTRATION_BOND

E18 = 10**18
AMM_WETH = 1_000 * E18
AMM_USD = 2_000_000 * E18
POOL_LIQUIDITY = 1_000_000 * E18
MAX_BORROW_PER_TX = 100_000 * E18
NO_CAP = 2**256 - 1  # the one-transaction scenario: the pool has no per-transaction cap
ATTACKER_CAPITAL = 2_500_000 * E18
PUMP_AMOUNT = 2_000_000 * E18
IS_SOLVENT = Web3.keccak(text="isSolvent()")[:4]


@dataclass
class Deployment:
    chain_id: int
    oracle: str
    pool: str
    amm: str
    usd: str
    weth: str
    protocol_id: str
    governance: str
    deploy_block: int
    gas: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)


def deploy_all(deployer: Deployer, gset: GuardianSet, backend: Backend, *,
               attacker: str | None = None, rotation_delay: int = 2 * 24 * 3600,
               log=lambda _: None, max_borrow_per_tx: int = MAX_BORROW_PER_TX,
               registration_bond: int = DEFAULT_REGISTRATION_BOND) -> Deployment:
    gov = deployer.address
    start_block = deployer.w3.eth.block_number
    oracle = deployer.deploy("GuardianOracle", gov, backend.g1_to_eip2537(gset.group_public_key),
                             gset.threshold, gset.n, rotation_delay, registration_bond)
    log(f"GuardianOracle at {oracle.address} (key epoch {gset.epoch}, t={gset.threshold} "
        f"of n={gset.n})")
    demo = deploy_demo(deployer, oracle, log=log, max_borrow_per_tx=max_borrow_per_tx)
    if attacker:
        usd = deployer.contract("DemoToken", demo["usd"])
        deployer.transact("attacker capital", usd.functions.mint(attacker, ATTACKER_CAPITAL))
    chain_id = deployer.w3.eth.chain_id
    return Deployment(chain_id=chain_id, oracle=oracle.address, governance=gov,
                      deploy_block=start_block, gas=dict(deployer.gas_used or {}), **demo)


def deploy_demo(deployer: Deployer, oracle, *, log=lambda _: None,
                max_borrow_per_tx: int = MAX_BORROW_PER_TX) -> dict[str, str]:
    """The demo protocol (its two tokens, AMM and lending pool) deployed and registered with
    `oracle`, governed by `deployer`'s account. Once per devnet, and again for each repeat
    `guardian devnet attack` (a contained pool stays paused: a fresh instance makes the next
    attack meaningful). `max_borrow_per_tx` is the pool's per-transaction cap (NO_CAP: one
    transaction drains it). Returns the Deployment fields it owns."""
    gov = deployer.address
    usd = deployer.deploy("DemoToken", "Demo USD", "USDd")
    weth = deployer.deploy("DemoToken", "Demo WETH", "WETHd")
    amm = deployer.deploy("DemoAMM", weth.address, usd.address, oracle.address, gov)
    deployer.transact("mint WETHd", weth.functions.mint(gov, AMM_WETH))
    deployer.transact("mint USDd", usd.functions.mint(gov, AMM_USD + POOL_LIQUIDITY))
    deployer.transact("approve WETHd", weth.functions.approve(amm.address, 2**256 - 1))
    deployer.transact("approve USDd", usd.functions.approve(amm.address, 2**256 - 1))
    deployer.transact("seed AMM", amm.functions.addLiquidity(AMM_WETH, AMM_USD))
    pool = deployer.deploy("DemoLendingPool", weth.address, usd.address, amm.address,
                           max_borrow_per_tx, oracle.address, gov)
    deployer.transact("approve pool", usd.functions.approve(pool.address, 2**256 - 1))
    deployer.transact("lend to pool", pool.functions.deposit(POOL_LIQUIDITY))
    log(f"demo lending pool at {pool.address} holding {POOL_LIQUIDITY // E18:,} USDd; "
        f"AMM at {amm.address}")
    reg = build_registration(
        target=pool.address, admin=gov, actions="pause,collateral-lock", hook="guardable",
        max_duration=3600, cooldown=600, monitored=[pool.address], tokens=[usd.address],
        outflow_limit_bps=1500, window_blocks=20, balance_drop_bps=1000,
        invariants=[f"{pool.address}:0x{IS_SOLVENT.hex()}", claims_invariant(pool.address)])
    register_paying_bond(deployer, oracle, reg, "register pool")
    log("demo pool registered with the oracle (outflow 15%/20 blocks, drop 10%/block, "
        "invariant isSolvent(), claims view pool.claimOf)")
    return {"pool": pool.address, "amm": amm.address, "usd": usd.address, "weth": weth.address,
            "protocol_id": "0x" + protocol_id(bytes.fromhex(pool.address[2:])).hex()}


def register_paying_bond(deployer: Deployer, oracle, reg, what: str):
    """`oracle.register(reg)` from `deployer`, sending the oracle's current (refundable) bond."""
    bond = oracle.functions.registrationBond().call()
    return deployer.transact(what, oracle.functions.register(reg.as_abi()), value=bond)


def retire(deployer: Deployer, oracle, protocol_ids) -> None:
    """Deregister finished instances (their bonds are refunded to their admin): an admin may hold
    at most MAX_PROTOCOLS_PER_ADMIN registrations, so a benchmark that deploys a fresh instance
    per run retires the last run's first (its 16th run was refused before)."""
    for text in protocol_ids:
        pid = bytes.fromhex(text.removeprefix("0x"))
        if oracle.functions.isRegistered(pid).call():
            deployer.transact("retire a finished instance", oracle.functions.deregister(pid))


def new_account() -> tuple[str, bytes]:
    account = Account.create()
    return account.address, bytes(account.key)
