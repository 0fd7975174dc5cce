"""The split the agreement round exists for, driven deterministically (no clock, no network):
participant 2 deals, loses its state, restarts and deals a second time; participant 4 starts
late and sees only the second deal, and the first deal's way to it is held back. Before the
agreement round, 4 (and the restarted 2) finished early with 2 qualified while 1 and 3 had
disqualified it: two group keys, every participant content."""

from __future__ import annotations

import random

import pytest

from protocol.dkg import DkgSession, Phase
from protocol.dkg_agreement import tally
from protocol.dkg_errors import NoAgreement
from protocol.dkg_wire import Confirmation, deal_hash, decode, encode, sign

from .dkg_support import B, drive, fresh


def _restarted_dealer(seed: int):
    """4 participants (t = 3); dealer 2's first deal reached 1 and 3 only, then 2 restarted
    without its state (a fresh session: another seed, so another deal)."""
    ceremony, keys, sessions = fresh(4, 3, seed=seed)
    first_deal = sessions[1].outgoing(Phase.DEAL)[0]
    for p in (0, 2):
        sessions[p].receive(first_deal)
    sessions[1] = DkgSession(ceremony, keys[1], B, rng=random.Random(seed + 99))
    assert sessions[1].outgoing(Phase.DEAL)[0] != first_deal
    return ceremony, keys, sessions, first_deal


def _results(sessions):
    out = {}
    for p, s in enumerate(sessions):
        try:
            out[p] = s.finish()
        except NoAgreement as exc:
            out[p] = exc
    return out


def test_a_late_equivocation_proof_is_awaited_and_everyone_disqualifies_the_dealer():
    """The proof (the first deal) is held back from 4 and the restarted 2 until nothing else
    can happen. Old code: 4 saw every response and ended COMPLAIN and JUSTIFY at once, keeping
    dealer 2 (a response quoting the empty hash did not count as a contradiction). Now 1's and
    3's responses (empty hash, no complaint: "I hold two deals") keep 4's phase open until the
    proof arrives, and all four write the same guardian set without dealer 2."""
    _, _, sessions, first_deal = _restarted_dealer(seed=41)
    at = drive(sessions, hold=lambda p, q, data: data == first_deal and q in (1, 3),
               started=[0, 1, 2])
    assert at == [len(Phase)] * 4
    results = _results(sessions)
    written = {p: r for p, r in results.items() if not isinstance(r, Exception)}
    assert len({r.guardian_set().encode() for r in written.values()}) == 1, \
        {p: r.qualified for p, r in written.items()}
    assert sorted(written) == [0, 1, 2, 3], results
    for r in written.values():
        assert r.qualified == (1, 3, 4)
        assert r.disqualified == {2: "equivocation: two different signed deals"}
        assert [decode(c).dealer for c in r.confirmations] == [1, 3, 4]


def test_a_proof_that_never_arrives_leaves_nobody_writing_a_split_key():
    """The same, but the proof never reaches 4 and the restarted 2: their phases end by
    timeout, so they keep dealer 2 while 1 and 3 disqualify it, two against two. Old code: two
    group keys written. Now nobody has 3 matching confirmations from its qualified dealers:
    every participant fails, naming the dealers that confirmed the other transcript."""
    _, _, sessions, first_deal = _restarted_dealer(seed=42)
    drive(sessions, hold=lambda p, q, data: data == first_deal and q in (1, 3),
          release=False, started=[0, 1, 2])
    views = {p: s._result().qualified for p, s in enumerate(sessions)}
    assert views == {0: (1, 3, 4), 1: (1, 2, 3, 4), 2: (1, 3, 4), 3: (1, 2, 3, 4)}
    results = _results(sessions)
    written = [r for r in results.values() if not isinstance(r, Exception)]
    assert len({r.guardian_set().encode() for r in written}) <= 1
    assert written == []
    assert set(results[3].agreement.disagreeing) == {1, 3}, str(results[3])
    assert set(results[0].agreement.disagreeing) == {2, 4}, str(results[0])
    assert "did not agree on one transcript" in str(results[3])


def test_a_response_quoting_the_empty_hash_contradicts_the_deal_held():
    """'I hold two deals' (the empty hash, no complaint) makes the holder of one of them
    rebroadcast it and wait for the other."""
    ceremony, keys, sessions, first_deal = _restarted_dealer(seed=43)
    second_deal = sessions[1].outgoing(Phase.DEAL)[0]
    for p in (0, 2, 3):
        sessions[p].receive(second_deal)
    late = sessions[3]
    for p in (0, 2):
        late.receive(sessions[p].outgoing(Phase.DEAL)[0])
    response = decode(sessions[0].outgoing(Phase.COMPLAIN)[0])
    assert response.deal_hashes[1] == b"" and 2 not in response.complaints
    late.receive(encode(response))
    assert second_deal in late.log.contradicted_deals()
    assert late.log.contested_dealers() == [2]
    late.receive(first_deal)
    assert late.log.contested_dealers() == [] and late.log.equivocators() == [2]
    assert deal_hash(first_deal) != deal_hash(second_deal)


def test_confirmations_are_counted_once_per_dealer_and_only_for_qualified_ones():
    ceremony, keys, _ = fresh(4, 3, seed=44)
    mine, other = b"\x01" * 32, b"\x02" * 32

    def confirm(dealer, digest):
        return decode(encode(sign(Confirmation(ceremony.id, dealer, digest), keys[dealer - 1])))

    held = {1: [confirm(1, mine)], 2: [confirm(2, mine), confirm(2, other)],
            3: [confirm(3, other)], 4: [confirm(4, mine)]}
    a = tally(held, (1, 2, 3), mine, 3)
    assert a.agreeing == (1,) and a.doubled == (2,) and a.disagreeing == {3: other}
    assert not a.reached and a.hopeless and a.decided
    assert tally({1: held[1], 4: held[4]}, (1, 3, 4), mine, 3).silent == (3,)
    assert tally({1: held[1], 3: [confirm(3, mine)], 4: held[4]}, (1, 3, 4), mine, 3).reached


@pytest.mark.parametrize("mutate", ["dealer", "hash", "signature"])
def test_forged_or_foreign_confirmations_are_refused(mutate):
    from protocol.dkg_errors import DkgMessageError

    ceremony, keys, sessions = fresh(4, 3, seed=45)
    good = Confirmation(ceremony.id, 1, b"\x05" * 32)
    if mutate == "dealer":
        data = encode(sign(Confirmation(ceremony.id, 9, b"\x05" * 32), keys[0]))
    elif mutate == "hash":
        data = encode(sign(good, keys[0]))[:-70] + b"\x00" + encode(sign(good, keys[0]))[-69:]
    else:
        data = encode(sign(good, keys[1]))   # signed by another participant's key
    with pytest.raises(DkgMessageError):
        sessions[2].receive(data)
    assert sessions[2].log.confirmations == {}
