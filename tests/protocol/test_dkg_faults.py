"""Misbehaving participants: a bad share, an equivocating dealer, a silent dealer, a false
complaint, too few qualified dealers. Honest participants always agree on the result."""

from __future__ import annotations

import random

import pytest

from protocol.bls import DST_AUTHORIZATION
from protocol.dkg import DkgSession, Phase
from protocol.dkg_crypto import encrypt_share
from protocol.dkg_errors import NotEnoughQualified
from protocol.dkg_wire import decode, encode, sign

from .dkg_support import B, fresh, resign, run, sign_with

DIGEST = b"\x42" * 32


def _agree(results):
    assert len({r.guardian_set().encode() for r in results}) == 1
    assert len({r.transcript_hash for r in results}) == 1
    for r in results:
        assert B.sk_to_pk(r.my_share) == r.public_shares[r.my_index - 1]
    return results[0]


def _sum_constant_terms(sessions, dealer_positions):
    total = None
    for p in dealer_positions:
        c0 = decode(sessions[p].outgoing(Phase.DEAL)[0]).commitments[0]
        total = c0 if total is None else B.g1_add(total, c0)
    return total


def _bad_share_deal(session, keys, victim: int) -> bytes:
    """The dealer's own deal with the victim's ciphertext replaced by a wrong share, encrypted
    properly under the same ephemeral key, and signed: only the share is wrong."""
    honest = session.outgoing(Phase.DEAL)[0]
    deal = decode(honest)
    _, bad = encrypt_share(deal.ceremony, deal.dealer, victim, 12345,
                           session.ceremony.recipient(victim).encryption_key,
                           session._ephemeral(victim))
    ciphertexts = list(deal.ciphertexts)
    ciphertexts[victim - 1] = bad
    return resign(honest, keys, ciphertexts=tuple(ciphertexts))


@pytest.mark.parametrize("answers", [True, False], ids=["justifies", "stays-silent"])
def test_a_bad_share_disqualifies_its_dealer(answers):
    ceremony, keys, sessions = fresh(7, 5, seed=11)
    cheat, victim = 2, 5          # dealer 3 (position 2) gives recipient 5 a bad share
    bad = _bad_share_deal(sessions[cheat], keys[cheat], victim)
    honest = sessions[cheat].outgoing(Phase.DEAL)[0]

    def route(phase, sender, receiver, data):
        if sender == cheat and data == honest:
            return bad           # in every phase, the cheat shows only the bad deal
        if sender == cheat and phase is Phase.JUSTIFY and not answers:
            return None
        return data

    results = run(sessions, route, cheats=[cheat])
    others = [r for p, r in enumerate(results) if p != cheat]
    r = _agree(others)
    assert r.qualified == (1, 2, 4, 5, 6, 7)
    reason = r.disqualified[3]
    assert ("bad share for recipient 5" in reason) if answers else ("not answered" in reason)
    assert r.group_public_key == _sum_constant_terms(sessions, [0, 1, 3, 4, 5, 6])
    assert r.group_public_key != _sum_constant_terms(sessions, range(7))
    shares = {x.my_index: x.my_share for x in others[:5]}
    assert B.verify(r.group_public_key, DIGEST, sign_with(shares, DIGEST), DST_AUTHORIZATION)


def test_an_equivocating_dealer_is_disqualified_by_everyone():
    ceremony, keys, sessions = fresh(7, 5, seed=12)
    cheat = 1
    # a second, different, validly signed deal from the same dealer (another polynomial)
    twin = DkgSession(ceremony, keys[cheat], B, rng=random.Random(77))
    deal_a, deal_b = sessions[cheat].outgoing(Phase.DEAL)[0], twin.outgoing(Phase.DEAL)[0]
    assert deal_a != deal_b

    def route(phase, sender, receiver, data):
        if sender == cheat and data == deal_a and receiver >= 4:
            return deal_b         # recipients 5..7 see deal B, the others deal A
        return data

    results = run(sessions, route, cheats=[cheat])
    r = _agree([x for p, x in enumerate(results) if p != cheat])
    assert r.disqualified == {2: "equivocation: two different signed deals"}
    assert 2 not in r.qualified and len(r.qualified) == 6


def test_a_silent_dealer_is_disqualified_and_the_rest_finish():
    _, _, sessions = fresh(7, 5, seed=13)
    results = run(sessions, silent=[6])
    r = _agree(results)
    assert r.disqualified == {7: "no deal"}
    assert r.qualified == (1, 2, 3, 4, 5, 6)
    assert r.group_public_key == _sum_constant_terms(sessions, range(6))
    # the silent participant is still a guardian of the set: its public share exists
    assert len(r.public_shares) == 7


def test_a_false_complaint_is_rejected_and_costs_the_complainer_nothing():
    ceremony, keys, sessions = fresh(7, 5, seed=14)
    liar, accused = 3, 1            # recipient 4 complains about dealer 2's good share

    def route(phase, sender, receiver, data):
        if phase is Phase.COMPLAIN and sender == liar:
            msg = decode(data)
            if msg.TYPE == "response":
                return encode(sign(msg.__class__(msg.ceremony, msg.recipient, (accused + 1,),
                                                 msg.deal_hashes), keys[liar]))
        return data

    results = run(sessions, route, cheats=[liar])
    r = _agree([x for p, x in enumerate(results) if p != liar])
    assert r.qualified == tuple(range(1, 8)) and not r.disqualified
    assert r.rejected_complaints == ((2, 4),)
    # the liar's own session never held its forged complaint, so its transcript differs: the
    # agreement round refuses it a result; the share it would have had is valid all the same
    assert "did not agree" in str(results[liar])
    own = sessions[liar]._result()
    assert own.guardian_set() == r.guardian_set()
    assert B.sk_to_pk(own.my_share) == r.public_shares[liar]


def test_fewer_than_t_qualified_dealers_fail_with_a_clear_message():
    _, _, sessions = fresh(7, 5, seed=15)
    for phase in Phase:
        for p, s in enumerate(sessions):
            if p >= 4:
                continue                    # dealers 5, 6, 7 never speak
            for data in s.outgoing(phase):
                for q, other in enumerate(sessions):
                    if q != p:
                        other.receive(data)
    with pytest.raises(NotEnoughQualified) as info:
        sessions[0].finish()
    message = str(info.value)
    assert "only 4 of 7 dealers qualified" in message and "needs 5" in message
    assert info.value.qualified == (1, 2, 3, 4)
    assert set(info.value.disqualified) == {5, 6, 7}


def test_a_lost_complaint_splits_views_and_the_agreement_round_refuses_the_minority():
    """The synchrony assumption failing: the victim's complaint reaches nobody. The others keep
    the cheating dealer; the victim does not. Their transcript hashes differ: the others have
    enough matching confirmations and finish; the victim gets none of its own and fails, naming
    the dealers that confirmed the other transcript."""
    from protocol.dkg_errors import NoAgreement

    from .dkg_support import exchange

    ceremony, keys, sessions = fresh(7, 5, seed=16)
    cheat, victim = 0, 1                   # dealer 1 cheats recipient 2 (position 1)
    bad = _bad_share_deal(sessions[cheat], keys[cheat], victim + 1)
    honest = sessions[cheat].outgoing(Phase.DEAL)[0]

    def route(phase, sender, receiver, data):
        if sender == cheat and data == honest:
            return bad
        if phase is Phase.COMPLAIN and sender == victim:
            return None
        return data

    for phase in Phase:
        exchange(sessions, phase, route)
    r = _agree([s.finish() for p, s in enumerate(sessions) if p not in (cheat, victim)])
    assert 1 in r.qualified and len(r.confirmations) >= 5
    mine = sessions[victim]._result()
    assert 1 not in mine.qualified and mine.transcript_hash != r.transcript_hash
    with pytest.raises(NoAgreement) as info:
        sessions[victim].finish()
    assert set(info.value.agreement.disagreeing) >= {3, 4, 5, 6, 7}, str(info.value)
    assert "dealer 3 confirmed 0x" + r.transcript_hash.hex()[:16] in str(info.value)


def test_a_recipient_that_never_complained_cannot_build_its_share():
    from protocol.dkg_errors import MissingShare

    from .dkg_support import exchange

    ceremony, keys, sessions = fresh(7, 5, seed=17)
    cheat, victim = 0, 1
    bad = _bad_share_deal(sessions[cheat], keys[cheat], victim + 1)
    honest = sessions[cheat].outgoing(Phase.DEAL)[0]
    def route(phase, sender, receiver, data):   # the cheat only ever shows the bad deal
        return bad if data == honest else data

    exchange(sessions, Phase.DEAL, route)
    exchange(sessions, Phase.COMPLAIN, route, silent=[victim])  # it never got to complain
    exchange(sessions, Phase.JUSTIFY, route)
    with pytest.raises(MissingShare, match="dealer 1"):
        sessions[victim].finish()
