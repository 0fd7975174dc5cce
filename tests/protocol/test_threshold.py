"""Threshold BLS: any t of n give the group signature, t-1 do not, bad partials are named."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import threshold as th
from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.guardian_set import GuardianSet

B = get_backend("pyblst")
DIGEST = bytes(range(32))


def _setup(n, t, seed=7, backend=B):
    dealing = th.deal(n, t, backend=backend, rng=random.Random(seed))
    return dealing, GuardianSet.from_dealing(dealing, 1, backend)


def _partials(dealing, indices, digest=DIGEST):
    return {i: th.partial_sign(dealing.shares[i - 1], digest, B) for i in indices}


def test_shares_verify_against_commitments():
    dealing, gset = _setup(7, 5)
    for i in range(1, 8):
        assert th.verify_share(i, dealing.shares[i - 1], dealing.commitments, B)
        assert B.sk_to_pk(dealing.shares[i - 1]) == gset.public_share(i)
    assert not th.verify_share(1, dealing.shares[1], dealing.commitments, B)
    assert not th.verify_share(1, 0, dealing.commitments, B)
    assert not th.verify_share(True, dealing.shares[0], dealing.commitments, B)
    assert not th.verify_share(1, str(dealing.shares[0]), dealing.commitments, B)
    assert not th.verify_share(1, dealing.shares[0], dealing.commitments[:-1], B)
    assert not th.verify_share(1, dealing.shares[0], (b"\x00" * 48,) + dealing.commitments[1:], B)


def test_every_t_subset_gives_the_same_signature_equal_to_the_dealt_secret():
    dealing, gset = _setup(6, 4)
    expected = B.sign(dealing.secret, DIGEST, DST_AUTHORIZATION)
    for subset in itertools.combinations(range(1, 7), 4):
        assert th.combine(_partials(dealing, subset), B) == expected
    assert B.verify(gset.group_public_key, DIGEST, expected, DST_AUTHORIZATION)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_any_t_of_n_property(seed, data):
    n = data.draw(st.integers(1, 12))
    t = data.draw(st.integers(1, n))
    dealing, gset = _setup(n, t, seed)
    subset = data.draw(st.lists(st.integers(1, n), min_size=t, max_size=t, unique=True))
    sig = th.combine(_partials(dealing, subset), B)
    assert B.verify(gset.group_public_key, DIGEST, sig, DST_AUTHORIZATION)


def test_t_minus_one_partials_do_not_verify():
    dealing, gset = _setup(7, 5)
    sig = th.combine(_partials(dealing, [1, 2, 3, 4]), B)
    assert not B.verify(gset.group_public_key, DIGEST, sig, DST_AUTHORIZATION)
    with pytest.raises(th.NotEnoughValidShares):
        th.robust_combine(gset, DIGEST, _partials(dealing, [1, 2, 3, 4]), B)


def test_a_corrupted_partial_is_detected_and_named():
    dealing, gset = _setup(7, 5)
    partials = _partials(dealing, range(1, 8))
    partials[2] = th.partial_sign(dealing.shares[2], DIGEST, B)  # guardian 3's share, wrong sender
    partials[5] = B.sign(12345, DIGEST, DST_AUTHORIZATION)
    result = th.robust_combine(gset, DIGEST, partials, B)
    assert result.invalid_indices == (2, 5)
    assert result.signers == (1, 3, 4, 6, 7)
    assert result.signature == B.sign(dealing.secret, DIGEST, DST_AUTHORIZATION)
    assert not th.verify_partial(gset, 2, DIGEST, partials[2], B)
    assert not th.verify_partial(gset, 99, DIGEST, partials[1], B)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_robust_combine_names_exactly_the_bad_partials(seed, data):
    n = data.draw(st.integers(1, 10))
    t = data.draw(st.integers(1, n))
    dealing, gset = _setup(n, t, seed)
    senders = data.draw(st.sets(st.integers(1, n), min_size=1))
    bad = data.draw(st.sets(st.sampled_from(sorted(senders))))
    partials = _partials(dealing, senders)
    for i in bad:  # a signature by another key, a different digest, or garbage bytes
        partials[i] = data.draw(st.sampled_from([
            B.sign(dealing.shares[i - 1] + 1, DIGEST, DST_AUTHORIZATION),
            th.partial_sign(dealing.shares[i - 1], DIGEST[::-1], B),
            b"\xc0" + bytes(95), b"\x00" * 96, b"short"]))
    if len(senders) - len(bad) < t:
        with pytest.raises(th.NotEnoughValidShares) as err:
            th.robust_combine(gset, DIGEST, partials, B)
        assert err.value.invalid_indices == tuple(sorted(bad))
        return
    result = th.robust_combine(gset, DIGEST, partials, B)
    assert result.invalid_indices == tuple(sorted(bad))
    assert result.signers == tuple(sorted(senders - bad)[:t])
    assert result.signature == B.sign(dealing.secret, DIGEST, DST_AUTHORIZATION)


def test_non_members_are_named():
    dealing, gset = _setup(4, 2)
    partials = _partials(dealing, [1, 2])
    partials[5] = partials[1]
    partials[0] = partials[2]
    result = th.robust_combine(gset, DIGEST, partials, B)
    assert result.invalid_indices == (0, 5) and result.signers == (1, 2)


def test_too_many_bad_partials_names_them():
    dealing, gset = _setup(4, 3)
    partials = _partials(dealing, range(1, 5))
    partials[1] = partials[2]
    partials[3] = partials[4]
    with pytest.raises(th.NotEnoughValidShares) as err:
        th.robust_combine(gset, DIGEST, partials, B)
    assert err.value.invalid_indices == (1, 3)


@pytest.mark.parametrize("name", ["arkworks", "py_ecc"])
def test_backends_combine_identically(name):
    other = get_backend(name)
    dealing, gset = _setup(4, 3)
    partials = _partials(dealing, [1, 3, 4])
    assert th.combine(partials, other) == th.combine(partials, B)
    assert th.public_share(dealing.commitments, 3, other) == gset.public_share(3)
    assert th.verify_share(2, dealing.shares[1], dealing.commitments, other)
    if name == "py_ecc":  # ~0.3 s per verification; its verify is cross-checked elsewhere
        return
    partials[3] = partials[1]
    result = th.robust_combine(gset, DIGEST, partials | {2: _partials(dealing, [2])[2]}, other)
    assert result.invalid_indices == (3,) and result.signers == (1, 2, 4)
    assert result.signature == B.sign(dealing.secret, DIGEST, DST_AUTHORIZATION)


def test_deal_with_a_given_secret_and_lagrange_at_zero():
    dealing = th.deal(5, 3, backend=B, secret=424242)
    assert dealing.secret == 424242 and dealing.n == 5 and dealing.threshold == 3
    assert dealing.group_public_key == B.sk_to_pk(424242)
    lambdas = th.lagrange_coefficients([2, 4, 5])
    signers = [2, 4, 5]
    assert sum(lam * dealing.shares[i - 1] for lam, i in zip(lambdas, signers, strict=True)) % th.R \
        == 424242
    assert "424242" not in repr(dealing)  # secrets stay out of logs


@pytest.mark.parametrize("n,t", [(0, 1), (3, 0), (3, 4), (2000, 2)])
def test_bad_parameters(n, t):
    with pytest.raises(th.ThresholdError):
        th.deal(n, t, backend=B)


def test_lagrange_rejects_duplicates():
    with pytest.raises(th.ThresholdError):
        th.lagrange_coefficients([1, 1, 2])


class _CountingBackend:
    """The real backend, counting pairing checks."""

    def __init__(self) -> None:
        self.verifies = 0

    def __getattr__(self, name):
        return getattr(B, name)

    def verify(self, *args):
        self.verifies += 1
        return B.verify(*args)


def test_optimistic_combination_checks_once_and_falls_back_to_naming_bad_partials():
    dealing, gset = _setup(7, 5)
    expected = B.sign(dealing.secret, DIGEST, DST_AUTHORIZATION)
    counting = _CountingBackend()
    result = th.optimistic_combine(gset, DIGEST, _partials(dealing, range(1, 8)), counting)
    assert result.signature == expected and result.signers == (1, 2, 3, 4, 5)
    assert counting.verifies == 1  # robust_combine: 7 partials + the group key = 8
    # a partial among the lowest t that is bad after all (or garbage): the robust path names it
    partials = _partials(dealing, range(1, 8))
    partials[2], partials[4] = B.sign(99, DIGEST, DST_AUTHORIZATION), b"short"
    result = th.optimistic_combine(gset, DIGEST, partials, B)
    assert result.invalid_indices == (2, 4) and result.signature == expected
    with pytest.raises(th.NotEnoughValidShares):
        th.optimistic_combine(gset, DIGEST, _partials(dealing, [1, 2, 3, 4]), B)
