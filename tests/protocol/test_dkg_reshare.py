"""Resharing 7 -> 9 guardians (t 5 -> 6): the old guardians deal shares of their shares, the new
set ends with the same group key, any 6 new shares sign, and old and new shares do not mix."""

from __future__ import annotations

import random

import pytest

from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.dkg import DkgSession, Phase
from protocol.dkg_errors import CeremonyError, InvalidDeal
from protocol.dkg_reshare import reshare_ceremony
from protocol.dkg_wire import decode

from .dkg_support import B, fresh, make_keys, participants, resign, run, sign_with

DIGEST = b"\x7e" * 32


@pytest.fixture(scope="module")
def old():
    ceremony, keys, sessions = fresh(7, 5, seed=21)
    results = run(sessions)
    return keys, results


def _reshare(old, dealer_positions=range(7), seed=22):
    old_keys, old_results = old
    gset = old_results[0].guardian_set()
    dealers = participants([old_keys[p] for p in dealer_positions])
    dealers = tuple(type(d)(p + 1, d.peer_id, d.encryption_key, d.signing_key)
                    for p, d in zip(dealer_positions, dealers, strict=True))
    # the new set: old guardians 1..7 keep their ceremony keys, two newcomers join
    new_keys = list(old_keys) + make_keys(2, seed=seed)
    ceremony = reshare_ceremony("reshare 7 to 9", gset, dealers,
                                participants(new_keys), threshold=6)
    rng = random.Random(seed)
    sessions = []
    for p, keys in enumerate(new_keys):
        old_share = old_results[p].my_share if p in dealer_positions else None
        sessions.append(DkgSession(ceremony, keys, B, rng=rng, old_share=old_share))
    return ceremony, new_keys, sessions


def test_resharing_keeps_the_group_key_and_any_six_new_shares_sign(old):
    _, old_results = old
    ceremony, _, sessions = _reshare(old)
    results = run(sessions)
    assert len({r.guardian_set().encode() for r in results}) == 1
    assert len({r.transcript_hash for r in results}) == 1
    r = results[0]
    gset = r.guardian_set()
    gset.validate(B)
    assert (gset.n, gset.threshold, gset.epoch) == (9, 6, 1)
    assert r.group_public_key == old_results[0].group_public_key
    new = {x.my_index: x.my_share for x in results}
    py_ecc = get_backend("py_ecc")
    signatures = {sign_with({i: new[i] for i in subset}, DIGEST)
                  for subset in [(1, 2, 3, 4, 5, 6), (4, 5, 6, 7, 8, 9), (1, 3, 5, 7, 8, 9)]}
    assert len(signatures) == 1
    assert py_ecc.verify(r.group_public_key, DIGEST, signatures.pop(), DST_AUTHORIZATION)
    five = sign_with({i: new[i] for i in (1, 2, 3, 4, 5)}, DIGEST)
    assert not B.verify(r.group_public_key, DIGEST, five, DST_AUTHORIZATION)


def test_old_and_new_shares_do_not_combine(old):
    _, old_results = old
    _, _, sessions = _reshare(old)
    results = run(sessions)
    key = results[0].group_public_key
    old_shares = {x.my_index: x.my_share for x in old_results}
    new_shares = {x.my_index: x.my_share for x in results}
    for old_part, new_part in [((1, 2, 3), (4, 5, 6)), ((1, 2), (3, 4, 5, 6)),
                               ((6, 7), (1, 2, 3, 4)), ((1, 2, 3, 4, 5), (6,))]:
        mixed = {**{i: old_shares[i] for i in old_part}, **{i: new_shares[i] for i in new_part}}
        assert not B.verify(key, DIGEST, sign_with(mixed, DIGEST), DST_AUTHORIZATION)
    # why old shares must be deleted: five of them still sign on their own
    assert B.verify(key, DIGEST, sign_with({i: old_shares[i] for i in range(1, 6)}, DIGEST),
                    DST_AUTHORIZATION)


def test_resharing_with_exactly_the_old_threshold_and_a_silent_old_guardian(old):
    _, old_results = old
    # dealers: old guardians 1..6; guardian 6 never deals -> 5 qualified = old threshold
    ceremony, _, sessions = _reshare(old, dealer_positions=range(6), seed=23)
    results = run(sessions, silent=[5])
    r = results[0]
    assert r.qualified == (1, 2, 3, 4, 5) and r.disqualified == {6: "no deal"}
    assert r.group_public_key == old_results[0].group_public_key
    assert len({x.guardian_set().encode() for x in results}) == 1
    shares = {x.my_index: x.my_share for x in results}
    assert B.verify(r.group_public_key, DIGEST,
                    sign_with({i: shares[i] for i in (1, 2, 3, 4, 5, 7)}, DIGEST),
                    DST_AUTHORIZATION)


def test_a_deal_that_does_not_reshare_the_old_share_is_refused(old):
    ceremony, new_keys, sessions = _reshare(old)
    honest = sessions[0].outgoing(Phase.DEAL)[0]
    deal = decode(honest)
    wrong = resign(honest, new_keys[0],
                   commitments=(B.sk_to_pk(424242),) + deal.commitments[1:])
    with pytest.raises(InvalidDeal, match="previous guardian set"):
        sessions[1].receive(wrong)


def test_a_dealer_needs_its_true_old_share(old):
    old_keys, old_results = old
    ceremony, new_keys, _ = _reshare(old)
    with pytest.raises(CeremonyError):
        DkgSession(ceremony, new_keys[0], B)
    with pytest.raises(CeremonyError, match="not guardian 1's share"):
        DkgSession(ceremony, new_keys[0], B, old_share=old_results[1].my_share)
    newcomer = DkgSession(ceremony, new_keys[8], B)       # receives only
    assert (newcomer.dealer_index, newcomer.recipient_index) == (None, 9)
    assert newcomer.outgoing(Phase.DEAL) == []


def test_resharing_keeps_the_epoch(old):
    from protocol.dkg_ceremony import Ceremony, Previous

    old_keys, old_results = old
    gset = old_results[0].guardian_set()
    with pytest.raises(CeremonyError, match="epoch"):
        Ceremony("x", 2, 5, participants(old_keys), Previous(gset, participants(old_keys)))
    with pytest.raises(CeremonyError, match="previous threshold"):
        Ceremony("x", 1, 5, participants(old_keys), Previous(gset, participants(old_keys[:4])))


def test_a_leaving_guardian_deals_but_receives_nothing(old):
    old_keys, old_results = old
    gset = old_results[0].guardian_set()
    dealers = participants(old_keys)                     # all 7 old guardians deal
    new_keys = list(old_keys[:6]) + make_keys(1, seed=24)  # guardian 7 leaves, one joins
    ceremony = reshare_ceremony("7 leaves", gset, dealers, participants(new_keys), threshold=5)
    rng = random.Random(24)
    sessions = [DkgSession(ceremony, k, B, rng=rng, old_share=old_results[p].my_share)
                for p, k in enumerate(old_keys)]
    sessions.append(DkgSession(ceremony, new_keys[6], B, rng=rng))
    assert (sessions[6].dealer_index, sessions[6].recipient_index) == (7, None)
    assert (sessions[7].dealer_index, sessions[7].recipient_index) == (None, 7)
    results = run(sessions)
    leaving = results[6]
    assert leaving.my_share is None and leaving.my_index is None
    assert len({r.guardian_set().encode() for r in results}) == 1
    assert results[0].group_public_key == old_results[0].group_public_key
    shares = {r.my_index: r.my_share for r in results if r.my_index}
    assert sorted(shares) == [1, 2, 3, 4, 5, 6, 7]
    assert B.verify(results[0].group_public_key, DIGEST,
                    sign_with({i: shares[i] for i in (3, 4, 5, 6, 7)}, DIGEST),
                    DST_AUTHORIZATION)
    from protocol.dkg_errors import DkgError

    with pytest.raises(DkgError):
        leaving.keystore("pass", backend=B, kdf_n=1024)
