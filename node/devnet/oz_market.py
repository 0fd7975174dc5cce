"""The OpenZeppelin-style lending market (contracts/examples/prepared/OZLending.sol) as a second
target of the preparation scenario: deployed on the devnet's tokens and AMM, and registered the
way docs/integrate.md tells an existing OpenZeppelin `Pausable` protocol to register:

    governance (DEFAULT_ADMIN_ROLE) grants the oracle PAUSER_ROLE, then registers the market
    itself: --hook selector --selector 0x8456cb59 (pause()), --actions pause (every action of
    the selector hook calls pause()), monitored [market], tokens [USDd, WETHd], outflow 15% per
    20 blocks and drop 10% (volatility: with pause alone they engage nothing), the invariant
    isSolvent() and the claims view market.claimOf (the marker entry)

Its exploits: `OZMarketExploit` (deployed, then `attack()` once: takes all the cash) and
`OZMarketOneShot` (the constructor does the whole attack: one transaction). Their capital waits
at the address the exploit will have (a flash loan would provide it the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from node.chain.probe import creation_address
from node.deploy import Deployer
from node.devnet.contracts import E18, IS_SOLVENT, register_paying_bond
from node.registration import build_registration, claims_invariant
from protocol.digest import protocol_id

OZ_LIQUIDITY = 1_000_000 * E18  # lent to the market
OZ_CAPITAL = 2_000_000 * E18  # the exploit's capital: all of it pumps the AMM price
PAUSE_SELECTOR = "0x8456cb59"  # pause()
ATTACK_GAS = 900_000


@dataclass(frozen=True)
class OZMarket:
    market: str
    protocol_id: str

    def to_dict(self) -> dict:
        return {"market": self.market, "protocol_id": self.protocol_id}


def deploy_oz_market(gov: Deployer, deployment: dict, *, log=lambda _: None) -> OZMarket:
    """A fresh market on the devnet's USDd/WETHd and AMM, funded and registered (module doc)."""
    market = gov.deploy("OZLendingMarket", deployment["weth"], deployment["usd"],
                        deployment["amm"], gov.address)
    pauser = market.functions.PAUSER_ROLE().call()
    gov.transact("grant the oracle PAUSER_ROLE",
                 market.functions.grantRole(pauser, deployment["oracle"]))
    usd = gov.contract("DemoToken", deployment["usd"])
    gov.transact("mint market liquidity", usd.functions.mint(gov.address, OZ_LIQUIDITY))
    gov.transact("approve market", usd.functions.approve(market.address, OZ_LIQUIDITY))
    gov.transact("lend to market", market.functions.deposit(OZ_LIQUIDITY))
    reg = build_registration(
        target=market.address, admin=gov.address, actions="pause", hook="selector",
        selector=PAUSE_SELECTOR, max_duration=3600, cooldown=600, monitored=[market.address],
        tokens=[deployment["usd"], deployment["weth"]], outflow_limit_bps=1500,
        window_blocks=20, balance_drop_bps=1000,
        invariants=[f"{market.address}:0x{IS_SOLVENT.hex()}", claims_invariant(market.address)])
    register_paying_bond(gov, gov.contract("GuardianOracle", deployment["oracle"]), reg,
                         "register OZ market")
    log(f"OpenZeppelin lending market at {market.address} holding {OZ_LIQUIDITY // E18:,} USDd, "
        f"registered with the selector hook pause()")
    return OZMarket(market.address, "0x" + protocol_id(bytes.fromhex(market.address[2:])).hex())


def next_contract(deployer: Deployer, ahead: int = 0) -> str:
    """The address of `deployer`'s contract created `ahead` transactions after its pending ones."""
    nonce = deployer.w3.eth.get_transaction_count(deployer.address, "pending") + ahead
    return Web3.to_checksum_address(creation_address(bytes.fromhex(deployer.address[2:]), nonce))


def prefund(attacker: Deployer, deployment: dict, ahead: int = 1) -> str:
    """Send the exploit's capital to the contract the attacker creates `ahead` transactions after
    this one; returns that address."""
    future = next_contract(attacker, ahead)
    usd = attacker.contract("DemoToken", deployment["usd"])
    attacker.transact("prefund", usd.functions.transfer(future, OZ_CAPITAL))
    return future


def market_cash(deployer: Deployer, market: OZMarket) -> int:
    return deployer.contract("OZLendingMarket", market.market).functions.cash().call()
