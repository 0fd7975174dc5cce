from fractions import Fraction

import pytest
from eth_hash.auto import keccak
from hypothesis import given
from hypothesis import strategies as st

from protocol.detection import (
    PRIVILEGED_TOPICS,
    DetectionParams,
    EvidenceKind,
    Finding,
    InvariantCall,
    check_evidence,
    choose_action,
    drop_exceeds_bps,
    evidence_after_release,
    invariant_holds,
    preference_key,
    report_deadline,
)
from protocol.digest import Action
from protocol.evidence import Evidence

PID = b"\x01" * 32
POOL = b"\x0a" * 20
TOKEN = b"\x0b" * 20
ADMIN = b"\x0c" * 20
INV = InvariantCall(POOL, bytes.fromhex("b8e9c22e"))
PARAMS = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=1000,
                         window_blocks=5, balance_drop_bps=2000, invariants=(INV,), admin=ADMIN)


def ev(kind, block_from, block_to, subject, observed, detail):
    return Evidence(kind=kind, protocol_id=PID, block_from=block_from, block_to=block_to,
                    subject=subject, observed=observed, detail=detail)


def test_event_topics_are_the_keccak_of_their_signatures():
    for topic, signature in PRIVILEGED_TOPICS.items():
        assert keccak(signature.encode()) == topic


@pytest.mark.parametrize("before,after,limit,expected", [
    (1000, 899, 1000, True), (1000, 900, 1000, False), (1000, 1000, 1000, False),
    (1000, 2000, 1000, False), (0, 0, 1000, False), (1000, 0, 0, False), (10**30, 0, 1, True),
])
def test_drop_exceeds_bps(before, after, limit, expected):
    assert drop_exceeds_bps(before, after, limit) is expected


@given(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1), st.integers(0, 10_000))
def test_drop_rule_matches_exact_fraction(before, after, limit):
    expected = (before > 0 and limit > 0 and after < before
                and Fraction(before - after, before) > Fraction(limit, 10_000))
    assert drop_exceeds_bps(before, after, limit) is expected


def test_outflow_over_the_limit_is_a_violation():
    verdict = check_evidence(ev(EvidenceKind.OUTFLOW, 10, 15, TOKEN, (1000, 850), POOL), PARAMS)
    assert verdict.finding is Finding.VIOLATION and "1000 -> 850" in verdict.reason


def test_outflow_within_the_limit_is_not():
    verdict = check_evidence(ev(EvidenceKind.OUTFLOW, 10, 15, TOKEN, (1000, 950), POOL), PARAMS)
    assert verdict.finding is Finding.NO_VIOLATION


@pytest.mark.parametrize("evidence,reason", [
    (ev(EvidenceKind.OUTFLOW, 10, 16, TOKEN, (1000, 1), POOL), "span 6"),
    (ev(EvidenceKind.OUTFLOW, 10, 15, TOKEN, (1000, 1), b"\x99" * 20), "not a monitored"),
    (ev(EvidenceKind.OUTFLOW, 10, 15, b"\x98" * 20, (1000, 1), POOL), "not registered"),
    (ev(EvidenceKind.OUTFLOW, 10, 15, TOKEN, (1000,), POOL), "expected"),
    (ev(EvidenceKind.BALANCE_DROP, 10, 12, TOKEN, (1000, 1), POOL), "span 2"),
    (ev(EvidenceKind.INVARIANT, 9, 10, POOL, (1, 0), b"\x00\x00\x00\x00"), "not a registered"),
    (ev(EvidenceKind.INVARIANT, 9, 10, POOL, (7,), INV.data), "observed"),
    (ev(EvidenceKind.INVARIANT, 10, 10, POOL, (1, 0), INV.data), "span 0"),
    (ev(EvidenceKind.INVARIANT, 10, 300, POOL, (1, 0), INV.data), "span 290"),
    (ev(EvidenceKind.PRIVILEGED_CHANGE, 10, 10, POOL, (0,), b"x" * 10), "detail"),
    (ev(EvidenceKind.OUTFLOW, 15, 10, TOKEN, (1000, 1), POOL), "precedes"),
])
def test_malformed_evidence_is_named(evidence, reason):
    verdict = check_evidence(evidence, PARAMS)
    assert verdict.finding is Finding.MALFORMED and reason in verdict.reason


def test_balance_drop_between_consecutive_blocks():
    assert check_evidence(ev(EvidenceKind.BALANCE_DROP, 9, 10, TOKEN, (100, 79), POOL),
                          PARAMS).violated
    assert not check_evidence(ev(EvidenceKind.BALANCE_DROP, 9, 10, TOKEN, (100, 80), POOL),
                              PARAMS).violated


def test_invariant_rule():
    assert invariant_holds((1).to_bytes(32, "big"))
    assert not invariant_holds(None) and not invariant_holds(b"") and not invariant_holds(b"\x01")
    assert check_evidence(ev(EvidenceKind.INVARIANT, 9, 10, POOL, (1, 0), INV.data),
                          PARAMS).violated
    for still in ((0, 0), (1, 1), (0, 1)):  # broken before, never broken, repaired: nothing new
        assert not check_evidence(ev(EvidenceKind.INVARIANT, 9, 10, POOL, still, INV.data),
                                  PARAMS).violated


def test_evidence_must_start_after_the_release():
    drop = ev(EvidenceKind.BALANCE_DROP, 9, 10, TOKEN, (100, 79), POOL)
    assert evidence_after_release(drop, 8) and not evidence_after_release(drop, 9)


def test_privileged_change_by_governance_is_legitimate():
    topic = next(iter(PRIVILEGED_TOPICS))
    by_attacker = ev(EvidenceKind.PRIVILEGED_CHANGE, 10, 10, POOL, (3,),
                     b"\x05" * 32 + topic + b"\x66" * 20)
    by_admin = ev(EvidenceKind.PRIVILEGED_CHANGE, 10, 10, POOL, (3,), b"\x05" * 32 + topic + ADMIN)
    assert check_evidence(by_attacker, PARAMS).violated
    assert check_evidence(by_admin, PARAMS).finding is Finding.NO_VIOLATION


def test_action_choice_follows_the_class_mapping():
    everything = (1 << Action.PAUSE) | (1 << Action.CIRCUIT_BREAKER) | (1 << Action.COLLATERAL_LOCK)
    # volatility: the circuit breaker only, and only if allowed; otherwise nothing
    for kind in (EvidenceKind.OUTFLOW, EvidenceKind.BALANCE_DROP):
        assert choose_action(kind, everything) is Action.CIRCUIT_BREAKER
        assert choose_action(kind, 1 << Action.CIRCUIT_BREAKER) is Action.CIRCUIT_BREAKER
        assert choose_action(kind, (1 << Action.PAUSE) | (1 << Action.COLLATERAL_LOCK)) is None
        assert choose_action(kind, 0) is None
    # exploit: the strongest allowed of pause > collateral lock > circuit breaker
    for kind in (EvidenceKind.INVARIANT, EvidenceKind.PRIVILEGED_CHANGE):
        assert choose_action(kind, everything) is Action.PAUSE
        assert choose_action(kind, (1 << Action.CIRCUIT_BREAKER) |
                             (1 << Action.COLLATERAL_LOCK)) is Action.COLLATERAL_LOCK
        assert choose_action(kind, 1 << Action.CIRCUIT_BREAKER) is Action.CIRCUIT_BREAKER
        assert choose_action(kind, 0) is None


def test_every_kind_has_a_class():
    from protocol.detection import RULES, Shape, shape_of

    assert shape_of(EvidenceKind.OUTFLOW) is Shape.VOLATILITY
    assert shape_of(EvidenceKind.BALANCE_DROP) is Shape.VOLATILITY
    assert shape_of(EvidenceKind.INVARIANT) is Shape.EXPLOIT
    assert shape_of(EvidenceKind.PRIVILEGED_CHANGE) is Shape.EXPLOIT
    assert all(isinstance(rule.shape, Shape) for rule in RULES.values())


def test_deadline_and_preference_are_deterministic():
    assert report_deadline(1_000) == 1_900
    assert preference_key(10, b"\xff" * 32) < preference_key(11, b"\x00" * 32)
    assert preference_key(10, b"\x00" * 32) < preference_key(10, b"\x01" * 32)


def test_one_rule_table_documents_every_kind():
    from protocol.detection import RULES
    from protocol.rules_doc import rules_table

    table = rules_table()
    assert all(f"| {kind.name} |" in table for kind in EvidenceKind)
    assert all(f"| {rule.kind.name} | {rule.shape.name.lower()} |" in table
               for rule in RULES.values())


def test_an_action_a_rule_does_not_rank_still_follows_in_table_order():
    from protocol.containment import CONTAINMENTS, preference

    assert preference(()) == tuple(c.action for c in CONTAINMENTS)
    assert preference((Action.CIRCUIT_BREAKER,))[0] is Action.CIRCUIT_BREAKER
    assert sorted(preference((Action.CIRCUIT_BREAKER,))) == sorted(Action)
