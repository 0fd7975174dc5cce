"""Cover for the demo lending pool: a factory, a funded pool, depositors, and their claims. Used
by `guardian devnet --scenario drip` and the end-to-end test, so both run the same sequence.

  1. CoverPoolFactory(oracle); governance (the pool's registered admin) creates a USDd pool:
     claims token = the lending pool's deposit receipts, max payout 500,000 USDd, deductible
     10 USDd, confirmation window 1 h, claim period 7 days
  2. underwriters deposit USDd into the cover pool
  3. depositors lend USDd to the lending pool (they hold its receipts at the snapshot)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from eth_account import Account
from web3.logs import DISCARD

from node.deploy import Deployer

E18 = 10**18

MAX_PAYOUT = 500_000 * E18
DEDUCTIBLE = 10 * E18
CONFIRMATION_WINDOW = 3600
CLAIM_PERIOD = 7 * 24 * 3600
DEPOSITS = (300_000 * E18, 150_000 * E18, 50_000 * E18)
UNDERWRITING = 250_000 * E18
GAS_FUNDING = 10**18


@dataclass
class CoverDemo:
    factory: str
    pool: str
    protocol_id: str
    depositors: dict[str, bytes] = field(default_factory=dict)  # address -> key
    underwriters: dict[str, bytes] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"factory": self.factory, "pool": self.pool, "protocol_id": self.protocol_id,
                "depositors": sorted(self.depositors), "underwriters": sorted(self.underwriters)}


def _account(gov: Deployer) -> tuple[Deployer, bytes]:
    acct = Account.create()
    gov.send_value(acct.address, GAS_FUNDING)
    return Deployer(gov.w3, acct, gov.timeout, {}), bytes(acct.key)


def deploy_cover(gov: Deployer, deployment: dict, *, log=lambda _: None,
                 deposits=DEPOSITS, underwriting: int = UNDERWRITING) -> CoverDemo:
    oracle, lending, usd_address = deployment["oracle"], deployment["pool"], deployment["usd"]
    pid = bytes.fromhex(deployment["protocol_id"][2:])
    factory = gov.deploy("CoverPoolFactory", oracle)
    terms = (pid, lending, MAX_PAYOUT, DEDUCTIBLE, CONFIRMATION_WINDOW, CLAIM_PERIOD)
    receipt = gov.transact("create cover pool", factory.functions.createPool(usd_address, terms,
                                                                             "USDd"))
    created = factory.events.CoverPoolCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]
    demo = CoverDemo(factory.address, created["pool"], deployment["protocol_id"])
    usd = gov.contract("DemoToken", usd_address)
    pool = gov.contract("CoverPool", demo.pool)
    underwriter, key = _account(gov)
    gov.transact("mint underwriting", usd.functions.mint(underwriter.address, underwriting))
    underwriter.transact("approve cover", usd.functions.approve(demo.pool, underwriting))
    underwriter.transact("underwrite", pool.functions.deposit(underwriting, underwriter.address))
    demo.underwriters[underwriter.address] = key
    lending_pool = gov.contract("DemoLendingPool", lending)
    for amount in deposits:
        depositor, key = _account(gov)
        gov.transact("mint deposit", usd.functions.mint(depositor.address, amount))
        depositor.transact("approve lending", usd.functions.approve(lending, amount))
        depositor.transact("lend", lending_pool.functions.deposit(amount))
        demo.depositors[depositor.address] = key
    log(f"cover pool {demo.pool} (factory {demo.factory}): {underwriting // E18:,} USDd "
        f"underwritten, max payout {MAX_PAYOUT // E18:,}, deductible {DEDUCTIBLE // E18} USDd; "
        f"{len(deposits)} more depositors lend to the demo pool")
    return demo


def wait_confirmed(gov: Deployer, pool_address: str, nonce: int, timeout: float,
                   stop=lambda: False) -> dict | None:
    """The pool's record of incident `nonce` once confirmed (None at the timeout)."""
    pool = gov.contract("CoverPool", pool_address)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop():
        record = pool.functions.breach(nonce).call()
        if record[0]:
            names = ("loss", "payout", "gross_claimed", "snapshot_block", "claims_end_at", "root",
                     "released")
            return dict(zip(names, record, strict=True))
        time.sleep(0.5)  # polling the chain: no event to await from a plain HTTP endpoint
    return None


def claim(sender: Deployer, pool_address: str, nonce: int, account: str, amount: int,
          proof: list[str]) -> tuple[int, dict]:
    """Send `claim` for `account` (anyone may); (amount paid, receipt)."""
    pool = sender.contract("CoverPool", pool_address)
    receipt = sender.transact(f"claim for {account}",
                              pool.functions.claim(nonce, account, amount, proof))
    paid = pool.events.Claimed().process_receipt(receipt, errors=DISCARD)[0]["args"]["paid"]
    return paid, receipt
