"""The DKG's honest path: every participant ends with the same guardian set, any t shares sign
under the group key (checked with py-ecc, an independent implementation), the transcript is
identical everywhere, and a participant restarted from its saved state carries on."""

from __future__ import annotations

import itertools
import random

import pytest

from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.dkg import DkgSession, Phase
from protocol.dkg_errors import CeremonyError, StateError
from protocol.feldman import shares_are_consistent

from .dkg_support import B, exchange, fresh, make_keys, run, sign_with

DIGEST = bytes.fromhex("5ea1" * 16)


@pytest.fixture(scope="module")
def honest():
    ceremony, keys, sessions = fresh(7, 5)
    return ceremony, keys, run(sessions)


def test_everyone_ends_with_the_same_guardian_set(honest):
    ceremony, _, results = honest
    files = {r.guardian_set().to_json() for r in results}
    assert len(files) == 1
    gset = results[0].guardian_set()
    gset.validate(B)
    assert (gset.n, gset.threshold, gset.epoch) == (7, 5, 1)
    assert gset.peer_ids == tuple(p.peer_id for p in ceremony.participants)
    assert len({r.transcript_hash for r in results}) == 1
    assert all(r.qualified == tuple(range(1, 8)) and not r.disqualified for r in results)


def test_each_share_matches_its_public_share(honest):
    _, _, results = honest
    assert [r.my_index for r in results] == list(range(1, 8))
    for r in results:
        assert B.sk_to_pk(r.my_share) == r.public_shares[r.my_index - 1]
    assert len({r.my_share for r in results}) == 7


def test_group_key_is_the_sum_of_the_constant_terms(honest):
    _, _, results = honest
    # the transcript holds every deal; the group key is the sum of their first commitments
    import msgpack

    from protocol.dkg_wire import decode

    deals = [decode(raw) for raw in msgpack.unpackb(results[0].transcript)["deals"]]
    total = deals[0].commitments[0]
    for deal in deals[1:]:
        total = B.g1_add(total, deal.commitments[0])
    assert total == results[0].group_public_key


def test_any_five_shares_sign_and_py_ecc_verifies(honest):
    _, _, results = honest
    py_ecc = get_backend("py_ecc")
    group_key = results[0].group_public_key
    shares = {r.my_index: r.my_share for r in results}
    subsets = list(itertools.combinations(sorted(shares), 5))
    signatures = {sign_with({i: shares[i] for i in subset}, DIGEST)
                  for subset in random.Random(5).sample(subsets, 6) + [subsets[0], subsets[-1]]}
    assert len(signatures) == 1          # every subset of 5 gives the one group signature
    signature = signatures.pop()
    assert B.verify(group_key, DIGEST, signature, DST_AUTHORIZATION)
    assert py_ecc.verify(group_key, DIGEST, signature, DST_AUTHORIZATION)
    from protocol import threshold
    from protocol.keystore import decrypt_share

    gset = results[0].guardian_set()      # the node's own path: partials checked, then combined
    partials = {i: threshold.partial_sign(shares[i], DIGEST, B) for i in (2, 3, 5, 6, 7)}
    assert threshold.robust_combine(gset, DIGEST, partials, B).signature == signature
    keystore = results[2].keystore("pass", backend=B, kdf_n=1024)
    assert decrypt_share(keystore, "pass", backend=B) == (3, shares[3])
    four = sign_with({i: shares[i] for i in (1, 2, 3, 4)}, DIGEST)
    assert not B.verify(group_key, DIGEST, four, DST_AUTHORIZATION)


def test_public_shares_are_a_consistent_sharing(honest):
    _, _, results = honest
    r = results[0]
    assert shares_are_consistent(r.group_public_key, r.public_shares, 5, B)
    assert not shares_are_consistent(r.group_public_key, r.public_shares, 4, B)


def test_ready_reports_each_phase_complete():
    _, _, sessions = fresh(4, 3, seed=2)
    assert not any(s.ready(Phase.DEAL) for s in sessions)
    exchange(sessions, Phase.DEAL)
    assert all(s.ready(Phase.DEAL) for s in sessions)
    assert not any(s.ready(Phase.COMPLAIN) for s in sessions)
    exchange(sessions, Phase.COMPLAIN)
    assert all(s.ready(Phase.COMPLAIN) and s.ready(Phase.JUSTIFY) for s in sessions)
    assert sessions[0].progress() == {"dealers": 4, "deals": 4, "recipients": 4, "responses": 4,
                                      "complaints": 0, "justifications": 0, "confirmations": 0,
                                      "equivocators": 0}
    exchange(sessions, Phase.JUSTIFY)
    assert sessions[0].agreement() is None          # nothing fixed before AGREE
    assert not sessions[0].ready(Phase.AGREE)       # entering AGREE fixes it: 1 of 3 confirms
    exchange(sessions, Phase.AGREE)
    assert all(s.ready(Phase.AGREE) for s in sessions)
    assert sessions[0].agreement().agreeing == (1, 2, 3, 4)


def test_outgoing_is_idempotent_and_survives_a_restart():
    ceremony, keys, sessions = fresh(5, 3, seed=3)
    exchange(sessions, Phase.DEAL)
    first = sessions[0].outgoing(Phase.DEAL)
    assert sessions[0].outgoing(Phase.DEAL) == first
    complaint = sessions[0].outgoing(Phase.COMPLAIN)
    saved = sessions[0].to_state()
    restarted = DkgSession.from_state(saved, keys[0], B)
    assert restarted.outgoing(Phase.DEAL) == first
    assert restarted.outgoing(Phase.COMPLAIN) == complaint
    sessions[0] = restarted
    exchange(sessions, Phase.COMPLAIN)
    exchange(sessions, Phase.JUSTIFY)
    confirmation = sessions[0].outgoing(Phase.AGREE)
    sessions[0] = DkgSession.from_state(sessions[0].to_state(), keys[0], B)
    assert sessions[0].outgoing(Phase.AGREE) == confirmation   # restarted: the same one
    exchange(sessions, Phase.AGREE)
    results = [s.finish() for s in sessions]
    assert len({r.transcript_hash for r in results}) == 1
    assert len({r.guardian_set().encode() for r in results}) == 1


def test_a_state_for_other_keys_or_garbage_is_refused():
    _, keys, sessions = fresh(4, 3, seed=4)
    saved = sessions[0].to_state()
    with pytest.raises(StateError):
        DkgSession.from_state(saved, keys[1], B)
    for garbage in (b"", b"\x00" * 10, saved[:-5], b"\x81\xa1v\x01"):
        with pytest.raises(StateError):
            DkgSession.from_state(garbage, keys[0], B)


def test_keys_outside_the_ceremony_are_refused():
    ceremony, _, _ = fresh(4, 3, seed=5)
    stranger = make_keys(1, seed=99)[0]
    with pytest.raises(CeremonyError):
        DkgSession(ceremony, stranger, B)
    with pytest.raises(CeremonyError):  # an old share outside a resharing
        DkgSession(ceremony, make_keys(4, seed=5)[0], B, old_share=5)


def test_different_ceremonies_do_not_mix():
    _, _, a = fresh(4, 3, seed=6, name="one")
    _, _, b = fresh(4, 3, seed=6, name="two")
    from protocol.dkg_errors import WrongCeremony

    with pytest.raises(WrongCeremony):
        b[1].receive(a[0].outgoing(Phase.DEAL)[0])


def test_batched_share_check_agrees_with_one_by_one():
    from protocol.dkg_commitments import share_matches, shares_match
    from protocol.feldman import evaluate_polynomial

    rng = random.Random(9)
    polys = [[rng.randrange(1, 2**250) for _ in range(4)] for _ in range(5)]
    items = [(tuple(B.sk_to_pk(c) for c in p), evaluate_polynomial(p, 3)) for p in polys]
    assert all(share_matches(c, 3, s, B) for c, s in items)
    assert shares_match(items, 3, B)
    assert not shares_match(items, 4, B)
    bad = items[:2] + [(items[2][0], items[2][1] + 1)] + items[3:]
    assert not shares_match(bad, 3, B)
    assert not shares_match([], 3, B)
