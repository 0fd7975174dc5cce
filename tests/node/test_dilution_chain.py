"""DILUTION on the corpus vault (contracts/corpus/CorpusVault.sol), registered the way the
benchmark registers it (claims entry): the inflation attack's victim deposit, credited zero shares,
is DILUTION evidence pending (before it lands) and mined, a peer reproduces both and refuses
forged variants; a first deposit into an empty vault, a fair deposit and a deposit paying a 1%
entry fee are no evidence, pending or mined. One anvil for the file."""

from __future__ import annotations

import dataclasses

import pytest
import trio

from node.chain.pending_queue import PendingTx
from node.chain.pending_view import PendingView
from node.chain.rawtx import decode_raw_tx
from node.chain.simulate import reads_for
from node.corpus.chain import E18, CorpusChain
from node.detectors import NotObserved
from node.detectors.dilution import DilutionDetector, block_entries, derive_facts, others_touch
from node.verification import ReportContradicted, ReportRejected
from protocol import dilution
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, choose_action

from .corpus_world import corpus_world, one_class, peer_report
from .test_extraction_chain import Guardian  # one guardian's chain side, no p2p

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
B = get_backend()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with corpus_world(tmp_path_factory.mktemp("dilution"),
                      "dilution-chain", ("inflation",), history_blocks=3, settle_blocks=3) as w:
        yield one_class(w)


def _raw(chain: CorpusChain, acct, fn) -> bytes:
    tx = fn.build_transaction({"from": acct.address, "gas": 600_000, "chainId": chain.chain_id,
                               "nonce": chain.w3.eth.get_transaction_count(acct.address,
                                                                           "pending"),
                               "maxPriorityFeePerGas": 2 * 10**9, "maxFeePerGas": 100 * 10**9})
    return bytes(acct.sign_transaction(tx).raw_transaction)


def _land(chain: CorpusChain, raw: bytes) -> dict:
    tx_hash = chain.w3.eth.send_raw_transaction(raw)
    chain.next_block()
    receipt = chain.w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return receipt


def _forged(ev) -> dict:
    o = ev.observed
    return {"deposited is": dataclasses.replace(ev, observed=(o[0] * 2,) + o[1:]),
            "claims_after is": dataclasses.replace(ev, observed=o[:2] + (o[2] + 1,) + o[3:]),
            "depositors differ": dataclasses.replace(ev, detail=ev.detail + b"\x05" * 20)}


def test_the_victims_deposit_is_dilution_pending_and_mined_and_a_peer_reproduces_it(world):
    chain, s = world["chain"], world["scenario"]
    usd = s.tokens["usd"]
    chain.settle([chain.send(s.attacker, s.vault.functions.deposit(1)),
                  chain.send(s.attacker, usd.functions.transfer(s.vault.address, s.donation))])
    victim_deposit = s.vault.functions.deposit(s.donation - 1)
    raw = _raw(chain, s.victim, victim_deposit)

    async def run():
        g, peer = (Guardian(world["url"], world["oracle"]) for _ in range(2))
        await g.head()
        await peer.head()
        # the setup (a 1-wei first deposit, then a donation) is no evidence
        watched = g.registry.watched()[world["pid"]]
        assert watched.params.claims is not None
        assert await DilutionDetector().scan(g.view, watched, g.header.number) == []
        await g.loop.examine(PendingTx(decode_raw_tx(raw), trio.current_time()), g.header)
        assert [d.evidence.kind for d in g.pending] == [EvidenceKind.DILUTION]
        pending = g.pending[0].evidence
        facts = dilution.facts_from_fields(pending.observed, pending.detail)
        assert facts.deposited == s.donation - 1 and facts.claims_after == facts.claims_before
        assert choose_action(pending, watched.allowed_actions) is not None  # exploit class
        await peer.verifier.verify(peer_report(world, pending, watched))  # re-simulated: signs
        for why, forged in _forged(pending).items():  # pending: rejected, not blamed
            with pytest.raises(ReportRejected, match=why):
                await peer.verifier.verify(peer_report(world, forged, watched))

        receipt = _land(chain, raw)  # not contained here: it lands, credited zero shares
        assert s.vault.functions.balanceOf(s.victim.address).call() == 0
        head = await g.head()
        await peer.head()
        found = await DilutionDetector().scan(g.view, watched, head)
        assert [d.evidence.kind for d in found] == [EvidenceKind.DILUTION]
        ev = found[0].evidence
        assert ev.detail[:32] == bytes(receipt["transactionHash"]) and ev.observed[:4] == \
            pending.observed[:4]
        await peer.verifier.verify(peer_report(world, ev, watched))
        bad = _forged(ev) | {
            "is in block": dataclasses.replace(ev, block_from=head - 1, block_to=head - 1),
            "not on our chain": dataclasses.replace(ev, detail=b"\x01" * 32 + ev.detail[32:])}
        for why, forged in bad.items():
            with pytest.raises(ReportContradicted, match=why):
                await peer.verifier.verify(peer_report(world, forged, watched))
        malformed = dataclasses.replace(ev, observed=ev.observed[:4] + (2,))
        with pytest.raises(ReportRejected, match="minted must be 0 or 1"):
            await peer.verifier.verify(peer_report(world, malformed, watched))
        blind = dataclasses.replace(watched, params=dataclasses.replace(watched.params,
                                                                        claims=None))
        assert await DilutionDetector().scan(g.view, blind, head) == []
        for params in (None, blind.params):  # nothing to judge a deposit's credit by
            with pytest.raises(NotObserved, match="claims view"):
                await DilutionDetector().reobserve(peer.view, ev, params)
    trio.run(run)


def _fresh_vault(world, *users):
    chain, s = world["chain"], world["scenario"]
    usd = s.tokens["usd"]
    vault = chain.deploy("CorpusVault", usd.address, False, chain.oracle,
                         chain.gov.account.address)
    s.fund(users, usd, 10_000 * E18, vault.address)
    target = bytes.fromhex(vault.address[2:])

    def watching(base):  # the registration's rules, this vault monitored and its claims view
        return dataclasses.replace(base, params=dataclasses.replace(
            base.params, monitored=(target,), claims=target))
    return vault, watching


def test_a_later_transaction_of_the_depositor_in_the_block_is_skipped(world):
    """Mined, the claims are read after the whole block: a deposit followed in its block by the
    same account's withdrawal would look credited nothing, so the node does not judge it."""
    chain, s = world["chain"], world["scenario"]
    user = s.user("churn")
    vault, watching = _fresh_vault(world, user)
    start = chain.head()
    chain.settle([chain.send(user, vault.functions.deposit(100 * E18)),
                  chain.send(user, vault.functions.withdraw(90 * E18))])
    assert chain.head() == start + 1

    async def run():
        g = Guardian(world["url"], world["oracle"])
        head = await g.head()
        watched = watching(g.registry.watched()[world["pid"]])
        assert await DilutionDetector().scan(g.view, watched, head) == []
        # judged anyway, the end-of-block claims would fake a 90% shortfall
        deposit = next(t for t in chain.w3.eth.get_block(head)["transactions"])
        flows = await g.view.tx_flows(bytes(deposit))
        entries = await block_entries(g.view, watched.params, head)
        depositors = (bytes.fromhex(user.address[2:]),)
        assert others_touch(entries, flows.tx_hash, depositors)
        facts = await derive_facts(g.view, watched.params, flows, watched.params.tokens[0],
                                   depositors, entries)
        assert (facts.deposited, facts.claims_after) == (100 * E18, 10 * E18)
        assert dilution.judge_dilution(facts, True).exploit
    trio.run(run)


def test_fair_first_and_fee_paying_deposits_are_no_evidence(world):
    chain, s = world["chain"], world["scenario"]
    usd = s.tokens["usd"]
    alice, bob = s.user("alice"), s.user("bob")
    vault, watching = _fresh_vault(world, alice, bob)

    async def judge(g: Guardian, watched, raw: bytes) -> tuple[list, list]:
        tx = decode_raw_tx(raw)
        outcome = await g.simulator.simulate(tx, g.header, g.header.timestamp + 2,
                                             reads_for([watched], (tx.sender, tx.to)))
        assert outcome.ok
        pending = await DilutionDetector().scan(PendingView(g.view, outcome), watched,
                                                outcome.block)
        _land(chain, raw)
        head = await g.head()
        return pending, await DilutionDetector().scan(g.view, watched, head)

    async def run():
        g = Guardian(world["url"], world["oracle"])
        await g.head()
        watched = watching(g.registry.watched()[world["pid"]])
        for acct, amount in ((alice, 5_000 * E18), (bob, 3_000 * E18)):  # empty vault, fair
            assert await judge(g, watched, _raw(chain, acct, vault.functions.deposit(amount))) \
                == ([], [])
        refused = chain.settle([chain.send(s.user("stranger"), vault.functions.setEntryFee(100)),
                                chain.send(chain.gov.account, vault.functions.setEntryFee(501))],
                               must=False)
        assert [sent.ok for sent in refused] == [False, False]  # not governance; above 5%
        chain.settle([chain.send(chain.gov.account, vault.functions.setEntryFee(100))])
        assert vault.functions.entryFeeBps().call() == 100
        await g.head()
        before = vault.functions.claimOf(bob.address, usd.address).call()
        assert await judge(g, watched, _raw(chain, bob, vault.functions.deposit(6_000 * E18))) \
            == ([], [])
        credited = vault.functions.claimOf(bob.address, usd.address).call() - before
        assert 5_940 * E18 < credited < 5_990 * E18  # the fee was charged: ~0.5% short
    trio.run(run)
