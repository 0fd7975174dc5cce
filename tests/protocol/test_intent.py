"""EXTRACTION: the intent facts (protocol.intent) and the rule over them (protocol.detection)."""

from __future__ import annotations

import dataclasses

import pytest

from protocol import intent
from protocol.detection import (
    DetectionParams,
    EvidenceKind,
    Finding,
    InvariantCall,
    Shape,
    check_evidence,
    choose_action,
    shape_of,
)
from protocol.digest import Action
from protocol.evidence import MAX_DETAIL_BYTES, Evidence
from protocol.intent import Transfer

POOL, TOKEN, ADAPTER = b"\x01" * 20, b"\x02" * 20, b"\x03" * 20
WHALE, ATTACKER, EXPLOIT, LENDER = b"\x10" * 20, b"\x20" * 20, b"\x21" * 20, b"\x30" * 20
E18 = 10**18
INV = InvariantCall(POOL, bytes.fromhex("5ce23950"))
BASE = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=1500,
                       window_blocks=20, balance_drop_bps=1000, invariants=(INV,))
WITH_CLAIMS = dataclasses.replace(BASE, claims=ADAPTER)
TX = b"\xaa" * 32


def facts(**changes) -> intent.ExtractionFacts:
    base = intent.ExtractionFacts(tx_hash=TX, beneficiaries=(ATTACKER, EXPLOIT),
                                  extracted=300 * E18, claims=0, balance_before=1_000 * E18,
                                  flash_loans=1, young=1, held_before=1, held_after=0)
    return dataclasses.replace(base, **changes)


def evidence(f: intent.ExtractionFacts, subject: bytes = TOKEN, block_from: int = 10,
             block_to: int = 10) -> Evidence:
    return Evidence(EvidenceKind.EXTRACTION, b"\x42" * 32, block_from, block_to, subject,
                    f.observed(), f.detail())


def verdict(f: intent.ExtractionFacts, params: DetectionParams = BASE):
    return check_evidence(evidence(f), params)


# -- the facts from transfers ---------------------------------------------------------------------


def test_a_whale_taking_its_own_claim_is_not_evidence():
    transfers = [Transfer(TOKEN, POOL, WHALE, 350 * E18)]
    extracted = intent.net_outflow(transfers, (POOL,), TOKEN)
    beneficiaries = intent.beneficiaries_of(WHALE, POOL, transfers, (POOL,))
    assert (extracted, beneficiaries) == (350 * E18, (WHALE,))  # the pool itself is no taker
    whale = facts(beneficiaries=beneficiaries, extracted=extracted, claims=400 * E18,
                  flash_loans=0, young=0, held_before=1, held_after=1)
    result = verdict(whale, WITH_CLAIMS)
    assert result.finding is Finding.NO_VIOLATION and "within the takers' own claims" in \
        result.reason
    assert intent.only_own_claims([whale])
    # the same withdrawal with no claims view: one-transaction size alone is no exploit
    no_view = verdict(dataclasses.replace(whale, claims=0), BASE)
    assert no_view.finding is Finding.NO_VIOLATION and "flash-loan funded" in no_view.reason


def test_a_flash_funded_drain_through_a_young_contract_is_an_exploit():
    transfers = [Transfer(TOKEN, LENDER, EXPLOIT, 2_000 * E18),  # the loan
                 Transfer(TOKEN, POOL, EXPLOIT, 300 * E18),  # the drain
                 Transfer(TOKEN, EXPLOIT, LENDER, 2_001 * E18)]  # the repayment
    assert intent.flash_loans(transfers, (POOL,)) == 1
    assert intent.net_outflow(transfers, (POOL,), TOKEN) == 300 * E18
    drain = facts(beneficiaries=intent.beneficiaries_of(ATTACKER, EXPLOIT, transfers, (POOL,)))
    assert drain.beneficiaries == (ATTACKER, EXPLOIT)
    assert verdict(drain).finding is Finding.VIOLATION  # no claims view: all three signs
    assert verdict(drain, WITH_CLAIMS).finding is Finding.VIOLATION  # claims 0 < 300
    # without a claims view, each sign alone is ordinary
    for missing in ({"flash_loans": 0}, {"young": 0}, {"extracted": 50 * E18}):
        assert verdict(dataclasses.replace(drain, **missing)).finding is Finding.NO_VIOLATION


def test_a_flash_deposit_and_withdrawal_in_one_transaction_extracts_nothing():
    transfers = [Transfer(TOKEN, LENDER, WHALE, 2_000 * E18),
                 Transfer(TOKEN, WHALE, POOL, 2_000 * E18),  # deposit
                 Transfer(TOKEN, POOL, WHALE, 2_000 * E18),  # withdrawal
                 Transfer(TOKEN, WHALE, LENDER, 2_000 * E18)]
    assert intent.net_outflow(transfers, (POOL,), TOKEN) == 0
    # the deposit then withdrawal with the pool is no loan; the lender's is
    assert intent.flash_loans(transfers, (POOL,)) == 1
    flash = facts(beneficiaries=(WHALE,), extracted=0, young=0)
    assert verdict(flash).finding is Finding.NO_VIOLATION
    assert verdict(flash, WITH_CLAIMS).finding is Finding.NO_VIOLATION
    assert not intent.only_own_claims([flash])  # took nothing: not "returning its own" either


def test_the_tolerance_absorbs_accrued_interest_but_not_more():
    just = facts(claims=300 * E18 - 1_000 * E18 * intent.TOLERANCE_BPS // intent.BPS)
    assert verdict(just, WITH_CLAIMS).finding is Finding.NO_VIOLATION
    assert verdict(dataclasses.replace(just, claims=just.claims - 1),
                   WITH_CLAIMS).finding is Finding.VIOLATION


def test_extraction_is_exploit_class():
    assert shape_of(EvidenceKind.EXTRACTION) is Shape.EXPLOIT
    everything = (1 << Action.PAUSE) | (1 << Action.CIRCUIT_BREAKER) | (1 << Action.COLLATERAL_LOCK)
    assert choose_action(EvidenceKind.EXTRACTION, everything) is Action.PAUSE


def test_beneficiaries_are_bounded_and_leave_out_the_protocol_and_zero():
    transfers = [Transfer(TOKEN, POOL, bytes([i]) * 20, 1) for i in range(40, 80)]
    transfers.append(Transfer(TOKEN, POOL, intent.ZERO, 5))
    out = intent.beneficiaries_of(ATTACKER, None, transfers, (POOL,))
    assert len(out) == intent.MAX_BENEFICIARIES and out[0] == ATTACKER
    assert POOL not in out and intent.ZERO not in out
    assert len(facts(beneficiaries=out).detail()) <= MAX_DETAIL_BYTES


def test_the_claims_marker_is_split_out_of_the_invariants():
    marker = intent.claims_marker(ADAPTER)
    assert marker == (ADAPTER, bytes.fromhex("06b6bf55"))  # keccak("claimOf(address,address)")
    entries = [(POOL, INV.data), marker, (b"\x09" * 20, intent.CLAIM_OF_SELECTOR)]
    invariants, claims = intent.split_claims(entries)
    assert invariants == ((POOL, INV.data),) and claims == ADAPTER  # the first marker wins
    assert intent.split_claims([(POOL, INV.data)]) == (((POOL, INV.data),), None)
    # calldata longer than the selector is an ordinary invariant call
    longer = (ADAPTER, intent.CLAIM_OF_SELECTOR + b"\x00" * 32)
    assert intent.split_claims([longer]) == ((longer,), None)
    with pytest.raises(intent.IntentError):
        intent.claims_marker(b"\x01" * 19)


def test_a_claims_view_answer_other_than_one_word_is_no_claim():
    assert intent.decode_claim(None) == 0 and intent.decode_claim(b"") == 0
    assert intent.decode_claim(b"\x01" * 31) == 0 and intent.decode_claim(b"\x00" * 33) == 0
    assert intent.decode_claim((7).to_bytes(32, "big")) == 7


@pytest.mark.parametrize("bad, why", [
    (lambda e: dataclasses.replace(e, observed=e.observed[:6]), "observed must be"),
    (lambda e: dataclasses.replace(e, detail=TX), "detail must be"),
    (lambda e: dataclasses.replace(e, detail=TX + ATTACKER + b"\x01"), "detail must be"),
    (lambda e: dataclasses.replace(e, detail=TX + ATTACKER + ATTACKER), "distinct"),
    (lambda e: dataclasses.replace(e, detail=TX + b"".join(bytes([i]) * 20 for i in range(17))),
     "1..16"),
    (lambda e: dataclasses.replace(e, observed=e.observed[:4] + (2,) + e.observed[5:]),
     "young must be"),
    (lambda e: dataclasses.replace(e, observed=e.observed[:5] + (2,) + e.observed[6:]),
     "invariant bits"),
    (lambda e: dataclasses.replace(e, subject=b"\x77" * 20), "not registered"),
    (lambda e: dataclasses.replace(e, block_from=9), "the transaction's block"),
    (lambda e: dataclasses.replace(e, observed=(e.observed[0], 5) + e.observed[2:]),
     "no claims view"),
])
def test_malformed_extraction_evidence_is_malformed(bad, why):
    result = check_evidence(bad(evidence(facts())), BASE)
    assert result.finding is Finding.MALFORMED and why in result.reason, result.reason


def test_without_any_limit_and_without_a_claims_view_nothing_is_evidence():
    params = dataclasses.replace(BASE, outflow_limit_bps=0, window_blocks=0, balance_drop_bps=0)
    result = verdict(facts(), params)
    assert result.finding is Finding.NO_VIOLATION and "no outflow limit" in result.reason


def test_the_security_doc_carries_the_rules_table_and_the_constants():
    from pathlib import Path

    from node.detectors.extraction import MAX_TXS_PER_HEAD
    from protocol.rules_doc import rules_table

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    table = doc.split("<!-- rules-table:start -->\n")[1].split("\n<!-- rules-table:end -->")[0]
    assert table == rules_table(), "regenerate the table with protocol.rules_doc.rules_table()"
    assert f"0x{intent.CLAIM_OF_SELECTOR.hex()}" in doc
    assert f"younger than {intent.AGE_BLOCKS} blocks" in doc
    assert f"{intent.TOLERANCE_BPS / 100:g}% of the" in doc
    assert f"at most {intent.MAX_BENEFICIARIES})" in doc
    assert f"at most {MAX_TXS_PER_HEAD} transactions per protocol per head" in doc
