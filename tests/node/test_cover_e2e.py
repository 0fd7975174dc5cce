"""Cover end to end, guardians in-process against anvil (one network for the whole file):
a partial drain -> containment -> breach confirmation -> every depositor claims its pro-rata part.

Guardian 4 of 4 (t = 3) computes a loss one wei higher than the chain shows: it signs only its
own numbers, the others REJECT its share naming the field, it says why it did not sign theirs,
and the three honest guardians still confirm. The tree is recomputed here from the chain with
web3 reads and `@openzeppelin/merkle-tree` (not the node's code) and must give the same root.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import trio
from web3.logs import DISCARD

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.cover import demo, routes
from node.cover.config import CoverSection
from node.deploy import Deployer
from node.devnet.attack import run_attack
from node.devnet.inprocess import guardian_network
from protocol import breach
from protocol.bls import get_backend

from .test_guardians_e2e import _setup, _submitters

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(300)]

B = get_backend()
REPO = Path(__file__).resolve().parents[2]
NPM_TREE = REPO / "tests" / "protocol" / "merkle_npm.mjs"


async def _wait_mesh(net, count: int) -> None:
    """Every guardian hears the others' heartbeats (60 s: the mesh forms slowly on a loaded
    machine, and this file pays for its one network once)."""
    with trio.fail_after(60):
        for g in net.guardians.values():
            await g.p2p.wait_for_peers(1, mesh=True)
        while any(len(g.state.live_guardians()) < count - 1 for g in net.guardians.values()):
            await trio.sleep(0.1)  # heartbeats arrive on their own period


def _independent_tree(values: list[list[str]]) -> dict:
    node = shutil.which("node")
    assert node, "node is needed for @openzeppelin/merkle-tree"
    out = subprocess.run([node, str(NPM_TREE)], input=json.dumps([values]).encode(), cwd=REPO,
                         capture_output=True, timeout=60, check=True)
    return json.loads(out.stdout)[0]


def _independent_facts(gov: Deployer, deployment: dict, attack, holders: list[str]) -> dict:
    """The loss rule, recomputed from the chain with web3: USDd the attack transactions took out
    of the lending pool; the holders' deposits at the block before the first one."""
    usd = gov.contract("DemoToken", deployment["usd"])
    lending = gov.contract("DemoLendingPool", deployment["pool"])
    pool = deployment["pool"]
    loss, first = 0, None
    for tx in attack.txs:
        if not tx.ok:  # refused once contained (never mined, or reverted)
            continue
        receipt = gov.w3.eth.get_transaction_receipt(tx.tx_hash)
        first = receipt["blockNumber"] if first is None else first
        for ev in usd.events.Transfer().process_receipt(receipt, errors=DISCARD):
            if ev["address"] != usd.address:
                continue  # the lending pool's receipt Transfers share the event's signature
            loss += ev["args"]["value"] if ev["args"]["from"] == pool else 0
            loss -= ev["args"]["value"] if ev["args"]["to"] == pool else 0
    snapshot = first - 1
    total = lending.functions.totalDeposits().call(block_identifier=snapshot)
    amounts = {h: loss * lending.functions.deposits(h).call(block_identifier=snapshot) // total
               for h in holders}
    values = [[h, str(v)] for h, v in amounts.items() if v]
    return {"loss": loss, "snapshot": snapshot, "amounts": amounts,
            "tree": _independent_tree(values)}


async def _guardians_confirm(chain, tmp, dealing, gset, deployment, attacker, gov, cover):
    """Attack under 4 in-process guardians (guardian 4 miscomputes) until the pool confirms."""
    cfg = CoverSection(factory=bytes.fromhex(cover.factory[2:]), poll_seconds=0.5)
    async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                ws_url=chain.ws_url, oracle=bytes.fromhex(
                                    deployment["oracle"][2:]), chain_id=31337,
                                submitter_keys=_submitters(4), data_dir=tmp,
                                cover=cfg) as net:
        await _wait_mesh(net, 4)
        wrong = net.guardians[4].cover
        honest_facts = wrong.chain.facts

        async def one_wei_more(*args, **kwargs):
            facts = await honest_facts(*args, **kwargs)
            return dataclasses.replace(facts, loss=facts.loss + 1) if facts.loss else facts
        wrong.chain.facts = one_wei_more
        attack = await trio.to_thread.run_sync(
            lambda: run_attack(attacker, deployment, max_steps=10))
        assert attack.contained, attack.to_dict()
        contained_at = time.monotonic()
        record = await trio.to_thread.run_sync(
            lambda: demo.wait_confirmed(gov, cover.pool, 0, timeout=60))
        confirmed_s = time.monotonic() - contained_at
        assert record is not None, [g.cover.status() for g in net.guardians.values()]
        with trio.fail_after(20):  # every guardian reads the confirmation on its next poll
            while not all(g.cover.status()[0]["status"].startswith("confirmed")
                          for g in net.guardians.values()):
                await trio.sleep(0.2)
        statuses = {i: g.cover.status() for i, g in net.guardians.items()}
        proofs = {}
        for account in [gov.address, *cover.depositors]:
            status, body, _ = routes.respond(
                net.guardians[1].cover, f"/cover/{deployment['protocol_id']}/0/{account}")
            proofs[account] = (status, json.loads(body))
    return attack, record, confirmed_s, statuses, proofs


@pytest.fixture(scope="module")
def drained(tmp_path_factory):
    """The whole story once (one anvil, one deployment): the module's tests read its record."""
    tmp = tmp_path_factory.mktemp("cover")
    with Anvil(block_time=1, log_path=tmp / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 4, 3)
        gov = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])
        cover = demo.deploy_cover(gov, deployment)
        attack, record, confirmed_s, statuses, proofs = trio.run(
            _guardians_confirm, chain, tmp, dealing, gset, deployment, attacker, gov, cover)
        holders = [gov.address, *cover.depositors]
        independent = _independent_facts(gov, deployment, attack, holders)
        paid = {}
        relayer = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[9])
        usd = gov.contract("DemoToken", deployment["usd"])
        for account, (_status, doc) in proofs.items():
            inc = doc["incidents"][0]
            before = usd.functions.balanceOf(account).call()
            amount, receipt = demo.claim(relayer, cover.pool, 0, account, int(inc["amount"]),
                                         inc["proof"])
            assert usd.functions.balanceOf(account).call() - before == amount
            paid[account] = (amount, receipt["gasUsed"])
        yield SimpleNamespace(record=record, statuses=statuses, proofs=proofs, paid=paid,
                              independent=independent, attack=attack, cover=cover, gov=gov,
                              confirmed_s=confirmed_s, deployment=deployment)


def test_the_confirmation_matches_an_independent_recomputation(drained):
    ind, record = drained.independent, drained.record
    assert ind["loss"] > 0
    assert record["loss"] == ind["loss"]
    assert record["snapshot_block"] == ind["snapshot"]
    assert "0x" + record["root"].hex() == ind["tree"]["root"]
    assert record["payout"] == min(ind["loss"], demo.UNDERWRITING, demo.MAX_PAYOUT)


def test_every_depositor_claims_pro_rata_and_the_sum_is_the_payout_less_deductibles(drained):
    record, ind = drained.record, drained.independent
    for account, (status, doc) in drained.proofs.items():
        assert status.startswith("200"), doc
        inc = doc["incidents"][0]
        assert int(inc["amount"]) == ind["amounts"][account]
    total = 0
    for account, (amount, _gas) in drained.paid.items():
        want = breach.claim_payment(ind["amounts"][account], record["loss"], record["payout"],
                                    demo.DEDUCTIBLE)
        assert amount == want
        total += amount
    claims = len(drained.paid)
    # each claim rounds down once: the sum is the payout less deductibles, to within a wei each
    expected = min(record["loss"], demo.UNDERWRITING) - claims * demo.DEDUCTIBLE
    assert expected - claims <= total <= expected


def test_a_guardian_whose_computation_differs_does_not_sign_and_says_why(drained):
    wrong = drained.statuses[4][0]
    assert wrong["status"].startswith("confirmed by the others"), wrong
    assert 4 not in wrong["partials_from"] or wrong["partials_from"] == [4]
    # it says why: the loss the others confirmed next to its own (and, when their shares reached
    # it after its own computation, what it refused; under load they may all come before it, or
    # only the confirmation on chain)
    theirs, ours = re.fullmatch(r"confirmed by the others with a loss of (\d+) \(ours (\d+)\)",
                                wrong["status"]).groups()
    assert theirs != ours, wrong
    assert all("loss" in why for why in wrong.get("rejected", {}).values()), wrong
    honest = [drained.statuses[i][0] for i in (1, 2, 3)]
    assert all(s["status"] == "confirmed" for s in honest), honest
    # guardian 4's partial is in no honest confirmation; when its share reached an honest
    # guardian (it may not gossip at all if the others confirm first), it was refused for its loss
    assert all(4 not in s["partials_from"] for s in honest), honest
    assert all("loss" in s["rejected"]["4"] for s in honest if "4" in s.get("rejected", {})), honest


def test_an_account_without_claims_tokens_gets_no_proof(drained):
    cover = next(iter(drained.cover.underwriters))
    from node.cover.routes import respond

    status, body, _ = respond(None, f"/cover/{drained.deployment['protocol_id']}/0/{cover}")
    assert status.startswith("404") and b"not enabled" in body
    status, _, _ = respond(None, "/cover/0x12/0")
    assert status.startswith("400")
