"""The loss rule (protocol/cover_loss.py): what counts as loss, the snapshot, the holders."""

from __future__ import annotations

import pytest

from protocol.cover_loss import (
    ZERO_ADDRESS,
    LossRuleError,
    Position,
    Transfer,
    affected_amounts,
    balances_at,
    breach_facts,
    incident_loss,
)
from protocol.merkle import verify_proof

POOL = b"\x50" * 20
ATTACKER = b"\xee" * 20
ALICE, BOB, CAROL = b"\xa1" * 20, b"\xb0" * 20, b"\xc0" * 20


def tx(n: int) -> bytes:
    return n.to_bytes(32, "big")


def t(block, index, txn, sender, receiver, amount, log=0):
    return Transfer(Position(block, index, log), tx(txn), sender, receiver, amount)


DEPOSITS = [t(5, 0, 1, ZERO_ADDRESS, ALICE, 600), t(6, 0, 2, ZERO_ADDRESS, BOB, 300),
            t(7, 0, 3, ZERO_ADDRESS, CAROL, 100)]


def test_only_exploit_outflows_in_the_window_count():
    asset = [
        t(9, 0, 10, POOL, ATTACKER, 999),  # before the evidence window
        t(11, 1, 11, POOL, ATTACKER, 100),  # exploit
        t(11, 1, 11, ATTACKER, POOL, 30),  # partly returned in the same tx: net 70
        t(12, 0, 12, POOL, ALICE, 50),  # Alice redeems her receipt: a withdrawal
        t(13, 2, 13, POOL, ATTACKER, 200),  # exploit
        t(14, 0, 14, ALICE, POOL, 500),  # a deposit: an inflow, never a loss
        t(15, 3, 15, POOL, ATTACKER, 400),  # in the containment's block, after it
    ]
    claims = DEPOSITS + [t(12, 0, 12, ALICE, ZERO_ADDRESS, 50)]
    facts = incident_loss(asset, claims, [POOL], 10, Position(15, 2))
    assert facts.loss == 270
    assert facts.snapshot_block == 10
    assert facts.exploit_txs == (tx(11), tx(13))


def test_containment_first_in_the_block_means_nothing_lost():
    asset = [t(20, 1, 20, POOL, ATTACKER, 1000)]  # the exploit, ordered after the containment
    facts = incident_loss(asset, DEPOSITS, [POOL], 19, Position(20, 0))
    assert facts.loss == 0 and facts.exploit_txs == ()
    assert breach_facts(asset, DEPOSITS, [POOL], 19, Position(20, 0)).tree is None


def test_holders_at_the_snapshot_pro_rata():
    late = t(12, 0, 30, ZERO_ADDRESS, ATTACKER, 10_000)  # deposits after the snapshot get nothing
    asset = [t(11, 0, 11, POOL, ATTACKER, 1000)]
    facts = breach_facts(asset, DEPOSITS + [late], [POOL], 10, Position(13, 0),
                         claims_supply_at={10: 1000})
    assert facts.loss == 1000 and facts.snapshot_block == 10
    assert dict(facts.leaves) == {ALICE: 600, BOB: 300, CAROL: 100}
    assert facts.leaves == tuple(sorted(facts.leaves))
    for i, (account, amount) in enumerate(facts.leaves):
        assert verify_proof(facts.root, account, amount, facts.tree.proof(i))


def test_rounding_never_pays_more_than_the_loss():
    holders = {bytes([i]) * 20: 1 for i in range(1, 8)}
    leaves = affected_amounts(holders, 7, 100)
    assert sum(v for _, v in leaves) <= 100
    assert all(v == 14 for _, v in leaves)


def test_a_token_whose_logs_disagree_with_its_supply_is_refused():
    asset = [t(11, 0, 11, POOL, ATTACKER, 1000)]
    with pytest.raises(LossRuleError, match="totalSupply"):
        breach_facts(asset, DEPOSITS, [POOL], 10, Position(13, 0), claims_supply_at={10: 999})


def test_incomplete_logs_are_refused():
    with pytest.raises(LossRuleError, match="negative"):
        balances_at([t(5, 0, 1, ALICE, BOB, 5)], 10)


def test_nobody_holding_the_claims_token_is_refused():
    asset = [t(11, 0, 11, POOL, ATTACKER, 1000)]
    with pytest.raises(LossRuleError, match="nobody"):
        breach_facts(asset, [], [POOL], 10, Position(13, 0))
