"""The claims rule over a balance window (`protocol.claims_window`): outflow to accounts taking
back their own claims is volatility, not evidence; a drain mixed with it still is."""

from __future__ import annotations

from protocol.claims_window import WindowTx, excused, judge_window, unexcused_outflow, window_tx
from protocol.detection import DetectionParams, EvidenceKind, check_evidence
from protocol.evidence import Evidence
from protocol.intent import ZERO, ExtractionFacts, Transfer, by_governance

TOKEN = b"\x11" * 20
POOL = b"\x01" * 20
VAULT = b"\x02" * 20
WHALE = b"\xaa" * 20
THIEF = b"\xbb" * 20
LIMIT = 1500  # 15%


def _out(holder: bytes, to: bytes, amount: int) -> Transfer:
    return Transfer(TOKEN, holder, to, amount)


def _tx(amount: int, claims: int, holder: bytes = POOL, to: bytes = WHALE) -> WindowTx:
    return window_tx([_out(holder, to, amount)], (POOL,), holder, TOKEN, amount, claims)


def test_a_window_of_own_claims_is_not_evidence():
    # 30% left, all of it to a whale taking back its 35% deposit
    verdict = judge_window(1_000, 700, LIMIT, [_tx(300, 350)])
    assert verdict.within_claims and verdict.unexcused == 0


def test_a_drain_of_the_same_size_by_a_non_holder_is_evidence():
    verdict = judge_window(1_000, 700, LIMIT, [_tx(300, 0, to=THIEF)])
    assert not verdict.within_claims and verdict.unexcused == 300


def test_a_drain_mixed_with_honest_withdrawals_is_judged_on_its_own():
    honest = [_tx(100, 100), _tx(200, 250)]
    # the drain alone is 10%: under the 15% limit once the honest 30% is excused
    assert judge_window(1_000, 600, LIMIT, honest + [_tx(100, 0, to=THIEF)]).within_claims
    # the drain alone is 20%: still evidence
    verdict = judge_window(1_000, 500, LIMIT, honest + [_tx(200, 0, to=THIEF)])
    assert not verdict.within_claims and verdict.unexcused == 200


def test_only_the_value_within_claims_is_excused():
    # a taker with a 100 claim takes 300: 200 beyond
    assert excused(_tx(300, 100)) == 100
    assert not judge_window(1_000, 700, LIMIT, [_tx(300, 100)]).within_claims
    # the EXTRACTION tolerance is not excused: 20 steps each 1 over the claim add up
    steps = [_tx(10, 9, to=THIEF) for _ in range(20)]
    assert unexcused_outflow(200, 0, steps) == 20
    assert not judge_window(100, 0, LIMIT, steps).within_claims


def test_deposits_and_withdrawals_of_own_money_do_not_hide_a_drain():
    # an account deposits and withdraws 500 of its own ten times (the deposits are not outflow
    # transactions and cancel the withdrawals in the drop), a thief takes 300 in between:
    # drop minus the excused withdrawals would be 300 - 5000 < 0; beyond claims it is 300
    loops = [_tx(500, 500) for _ in range(10)]
    verdict = judge_window(1_000, 700, LIMIT, loops + [_tx(300, 0, to=THIEF)])
    assert not verdict.within_claims and verdict.unexcused == 300


def test_a_drop_no_transaction_accounts_for_is_not_excused():
    # 300 left, the transactions seen account for 100 (value left without a Transfer log)
    verdict = judge_window(1_000, 700, LIMIT, [_tx(100, 100)])
    assert not verdict.within_claims and verdict.unexcused == 200


def test_a_window_not_fully_judged_is_judged_as_before():
    verdict = judge_window(1_000, 700, LIMIT, None)
    assert not verdict.within_claims and verdict.unexcused is None


def test_an_empty_balance_excuses_nothing():
    assert not judge_window(0, 0, LIMIT, []).within_claims


def test_a_deposit_and_withdrawal_in_one_transaction_moves_nothing():
    transfers = [Transfer(TOKEN, WHALE, POOL, 500), _out(POOL, WHALE, 500)]
    tx = window_tx(transfers, (POOL,), POOL, TOKEN, extracted=0, claims=0)
    assert (tx.holder_out, tx.internal_out, excused(tx)) == (0, 0, 0)


def test_moves_between_monitored_contracts_are_never_excused():
    transfers = [_out(POOL, VAULT, 400)]
    tx = window_tx(transfers, (POOL, VAULT), POOL, TOKEN, extracted=0, claims=10_000)
    assert (tx.holder_out, tx.internal_out) == (0, 400)
    assert not judge_window(1_000, 600, LIMIT, [tx]).within_claims


def test_one_claim_is_not_excused_twice_across_holders():
    # one transaction takes 300 from each of two monitored holders; the taker's claim is 300:
    # each holder is excused half of it, so each window keeps 150 beyond claims
    transfers = [_out(POOL, WHALE, 300), _out(VAULT, WHALE, 300)]
    for holder in (POOL, VAULT):
        tx = window_tx(transfers, (POOL, VAULT), holder, TOKEN, extracted=600, claims=300)
        assert (tx.holder_out, tx.set_out, excused(tx)) == (300, 600, 150)
    assert not judge_window(1_000, 700, 1000, [tx]).within_claims
    assert judge_window(1_000, 700, LIMIT, [tx]).within_claims  # 150 of 1000 is within 15%


def test_other_tokens_do_not_count():
    other = Transfer(b"\x22" * 20, POOL, THIEF, 900)
    tx = window_tx([other, _out(POOL, WHALE, 300)], (POOL,), POOL, TOKEN, 300, 300)
    assert (tx.holder_out, tx.set_out, excused(tx)) == (300, 300, 300)


ADMIN = b"\xad" * 20
V2 = b"\x0b" * 20


def test_the_governance_moving_its_protocol_is_excused():
    # the team migrates everything to v2 (no claim of its own in v1): all of it excused
    moved = window_tx([_out(POOL, V2, 1_000)], (POOL,), POOL, TOKEN, 1_000, 0,
                      by_governance=True)
    assert excused(moved) == 1_000 and judge_window(1_000, 0, LIMIT, [moved]).within_claims
    # the same transaction from anyone else is a drain
    assert not judge_window(1_000, 0, LIMIT, [_tx(1_000, 0, to=V2)]).within_claims


def _extraction(sender: bytes, claims: int = 0) -> Evidence:
    facts = ExtractionFacts(tx_hash=b"\x77" * 32, beneficiaries=(sender, V2), extracted=1_000,
                            claims=claims, balance_before=1_000, flash_loans=0, young=0,
                            held_before=0, held_after=0)
    return Evidence(kind=EvidenceKind.EXTRACTION, protocol_id=b"\x01" * 32, block_from=9,
                    block_to=9, subject=TOKEN, observed=facts.observed(), detail=facts.detail())


def test_a_transaction_the_governance_sent_is_not_extraction():
    params = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=LIMIT,
                             window_blocks=20, balance_drop_bps=1000, invariants=(),
                             admin=ADMIN, claims=b"\xcc" * 20)
    verdict = check_evidence(_extraction(ADMIN), params)
    assert not verdict.violated and "governance" in verdict.reason
    assert check_evidence(_extraction(WHALE), params).violated  # anyone else: 100% beyond claims
    # the admin is the transaction's sender (the first beneficiary), not any receiver
    facts = ExtractionFacts(b"\x77" * 32, (WHALE, ADMIN), 1_000, 0, 1_000, 0, 0, 0, 0)
    assert not by_governance(facts, ADMIN) and by_governance(facts, WHALE)
    # no admin registered (the zero address) excuses nobody
    assert not by_governance(facts, ZERO) and not by_governance(facts, None)
