"""The devnet's cover: a funded pool for the demo protocol before the attack, and after the
containment the breach confirmation and every depositor's claim (their proofs fetched from a
guardian's status server, as a wallet would). The summary gains the loss, the payout, the blocks
and seconds from the containment to the confirmation and to the first paid claim, and the gas of
both; a containment with nothing lost says "nothing lost, nothing to pay"."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from node.cover import demo
from node.deploy import Deployer
from node.devnet.network import DEPLOYER_KEY
from node.devnet.status import fetch_all

E18 = 10**18
SETTLE_TIMEOUT = 90.0


class DevnetCover:
    """The devnet's cover pool; `settle` after the attack gives the summary's cover rows."""

    def __init__(self, rpc_url: str, cover: demo.CoverDemo) -> None:
        self.rpc_url = rpc_url
        self.cover = cover

    def settle(self, contained_block: int | None, status_urls: dict[int, str], log) -> dict:
        return settle_cover(self.rpc_url, self.cover, contained_block, status_urls, log)


def prepare_cover(run_dir: Path, doc: dict, rpc_url: str, guardians: int, log) -> DevnetCover:
    """Deploy the factory and a funded pool; point every guardian's config at the factory."""
    gov = Deployer.connect(rpc_url, DEPLOYER_KEY)
    cover = demo.deploy_cover(gov, doc["deployment"], log=log)
    for i in range(1, guardians + 1):
        path = run_dir / f"guardian-{i}" / "node.toml"
        path.write_text(path.read_text() + f'\n[cover]\nfactory = "{cover.factory}"\n')
    return DevnetCover(rpc_url, cover)


def _nothing_lost(status_urls: dict[int, str]) -> bool:
    for doc in fetch_all(status_urls).values():
        for inc in (doc or {}).get("cover") or []:
            if inc.get("status") == "nothing lost, nothing to pay":
                return True
    return False


def _proof(status_url: str, pid: str, nonce: int, account: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{status_url}/cover/{pid}/{nonce}/{account}",
                                    timeout=5) as resp:
            return json.loads(resp.read())["incidents"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None  # 404: not an affected account


def settle_cover(rpc_url: str, cover: demo.CoverDemo, contained_block: int | None,
                 status_urls: dict[int, str], log) -> dict:
    if contained_block is None:
        return {"cover": "no containment: nothing to confirm"}
    gov = Deployer.connect(rpc_url, DEPLOYER_KEY)
    w3 = gov.w3
    oracle = gov.contract("GuardianOracle", gov.contract("CoverPool", cover.pool)
                          .functions.oracle().call())
    nonce = oracle.functions.nonces(bytes.fromhex(cover.protocol_id[2:])).call() - 1
    if nonce < 0:  # another protocol was contained (scripts/devnet --target oz-lending)
        return {"cover": "the covered demo pool was not contained: nothing to confirm"}
    deadline = time.monotonic() + SETTLE_TIMEOUT
    record = None
    while time.monotonic() < deadline:
        record = demo.wait_confirmed(gov, cover.pool, nonce, timeout=1.0)
        if record is not None or _nothing_lost(status_urls):
            break
    if record is None:
        return {"cover": "nothing lost, nothing to pay" if _nothing_lost(status_urls)
                else f"NOT confirmed within {SETTLE_TIMEOUT:.0f}s"}
    pool = gov.contract("CoverPool", cover.pool)
    event = pool.events.BreachConfirmed().get_logs(from_block=contained_block)[0]
    confirm = w3.eth.get_transaction_receipt(event["transactionHash"])
    t0 = w3.eth.get_block(contained_block)["timestamp"]
    log(f"breach confirmed in block {confirm['blockNumber']}: loss "
        f"{record['loss'] / E18:,.2f} USDd, payout {record['payout'] / E18:,.2f} USDd")
    paid, first, claim_gas = {}, None, []
    url = next(iter(status_urls.values()))
    for account in [gov.address, *cover.depositors]:
        proof = _proof(url, cover.protocol_id, nonce, account)
        if proof is None or "proof" not in proof:
            continue
        amount, receipt = demo.claim(gov, cover.pool, nonce, account, int(proof["amount"]),
                                     proof["proof"])
        paid[account] = f"{amount / E18:,.2f} USDd"
        claim_gas.append(receipt["gasUsed"])
        first = first or receipt["blockNumber"]
        log(f"{account} claimed {amount / E18:,.2f} USDd (owed {int(proof['amount']) / E18:,.2f})")
    out = {"cover_loss": f"{record['loss'] / E18:,.2f} USDd",
           "cover_payout": f"{record['payout'] / E18:,.2f} USDd",
           "cover_confirmation_block": confirm["blockNumber"],
           "blocks_containment_to_confirmation": confirm["blockNumber"] - contained_block,
           "seconds_containment_to_confirmation":
               w3.eth.get_block(confirm["blockNumber"])["timestamp"] - t0,
           "confirm_gas": confirm["gasUsed"], "cover_paid": paid}
    if first is not None:
        out.update(blocks_containment_to_first_claim=first - contained_block,
                   seconds_containment_to_first_claim=w3.eth.get_block(first)["timestamp"] - t0,
                   claim_gas_median=sorted(claim_gas)[len(claim_gas) // 2])
    return out
