"""The guardian set: canonical encoding, hash, JSON file, strict validation."""

from __future__ import annotations

import json
import random

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import threshold as th
from protocol.bls import get_backend
from protocol.guardian_set import GuardianSet, GuardianSetError

B = get_backend()


@pytest.fixture(scope="module")
def gset() -> GuardianSet:
    return GuardianSet.from_dealing(th.deal(5, 3, backend=B, rng=random.Random(3)), 2, B)


def test_round_trips(gset):
    assert GuardianSet.decode(gset.encode()) == gset
    assert GuardianSet.from_json(gset.to_json()) == gset
    assert gset.encode() == GuardianSet.decode(gset.encode()).encode()
    assert len(gset.hash()) == 32 and gset.n == 5 and gset.is_member(5) and not gset.is_member(6)
    gset.validate_points(B)


def test_hash_changes_with_content(gset):
    other = GuardianSet(gset.epoch + 1, gset.threshold, gset.group_public_key, gset.public_shares)
    assert other.hash() != gset.hash()


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d.update(threshold=9), "threshold"),
    (lambda d: d.update(epoch=0), "epoch"),
    (lambda d: d.update(public_shares=[]), "guardian count"),
    (lambda d: d.update(hash="0x" + "00" * 32), "hash"),
    (lambda d: d.update(guardians=4), "guardians"),
    (lambda d: d.update(group_public_key="0x1234"), "48-byte"),
    (lambda d: d.pop("epoch"), "malformed"),
    (lambda d: d.update(public_shares=["zz"]), "0x-prefixed"),
    (lambda d: d.update(public_shares=["0xzz"]), "not a hex string"),
    (lambda d: d.update(public_shares="0x00"), "must be a list"),
    (lambda d: d.update(epoch="2"), "epoch must be a JSON integer"),
    (lambda d: d.update(threshold=3.0), "threshold must be a JSON integer"),
    (lambda d: d.update(threshold=True), "threshold must be a JSON integer"),
    (lambda d: d.update(version=2), "unsupported guardian set version"),
    (lambda d: d.update(extra=1), "unknown \\['extra'\\]"),
])
def test_bad_json_is_refused(gset, mutate, match):
    doc = json.loads(gset.to_json())
    mutate(doc)
    with pytest.raises(GuardianSetError, match=match):
        GuardianSet.from_json(json.dumps(doc))


@pytest.mark.parametrize("text", ["", "[]", "null", "{", '"x"'])
def test_non_object_json_is_refused(text):
    with pytest.raises(GuardianSetError, match="malformed"):
        GuardianSet.from_json(text)


def test_bad_encodings_are_refused(gset):
    with pytest.raises(GuardianSetError):
        GuardianSet.decode(b"\xc1garbage")
    raw = msgpack.unpackb(gset.encode())
    reordered = {k: raw[k] for k in reversed(list(raw))}
    with pytest.raises(GuardianSetError):
        GuardianSet.decode(msgpack.packb(reordered, use_bin_type=True))
    with pytest.raises(GuardianSetError):
        GuardianSet(1, 2, b"\x00" * 48, (b"\x01" * 48, b"\x01" * 48))


def test_off_curve_keys_fail_point_validation(gset):
    bad = GuardianSet(1, 2, gset.group_public_key, (b"\x8f" * 48,) + gset.public_shares[1:])
    with pytest.raises(GuardianSetError, match="guardian 1"):
        bad.validate_points(B)


@pytest.mark.parametrize("name", ["pyblst", "arkworks", "py_ecc"])
def test_validate_accepts_a_dealt_set(gset, name):
    gset.validate(get_backend(name))


def test_validate_refuses_shares_that_do_not_fit_the_group_key(gset):
    shares = list(gset.public_shares)
    shares[3] = B.sk_to_pk(123456789)  # a valid point, but not guardian 4's share
    with pytest.raises(GuardianSetError, match="not consistent"):
        GuardianSet(gset.epoch, gset.threshold, gset.group_public_key, tuple(shares)).validate(B)
    other_key = B.sk_to_pk(987654321)
    with pytest.raises(GuardianSetError, match="not consistent"):
        GuardianSet(gset.epoch, gset.threshold, other_key, gset.public_shares).validate(B)
    with pytest.raises(GuardianSetError, match="not consistent"):  # a lower threshold is a lie
        GuardianSet(gset.epoch, gset.threshold - 1, gset.group_public_key,
                    gset.public_shares).validate(B)
    swapped = (gset.public_shares[1], gset.public_shares[0]) + gset.public_shares[2:]
    with pytest.raises(GuardianSetError, match="not consistent"):
        GuardianSet(gset.epoch, gset.threshold, gset.group_public_key, swapped).validate(B)


def test_validate_refuses_infinity(gset):
    bad = GuardianSet(1, 2, gset.group_public_key, (B.g1_infinity(),) + gset.public_shares[1:])
    with pytest.raises(GuardianSetError, match="guardian 1 is not a valid G1 point"):
        bad.validate(B)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_consistency_check_property(seed, data):
    """Every dealt set is consistent at its threshold and (for t > 1) not at t - 1; replacing
    any one share breaks it."""
    n = data.draw(st.integers(1, 20))
    t = data.draw(st.integers(1, n))
    dealing = th.deal(n, t, backend=B, rng=random.Random(seed))
    s = GuardianSet.from_dealing(dealing, 1, B)
    assert th.shares_are_consistent(s.group_public_key, s.public_shares, t, B)
    if t > 1:
        assert not th.shares_are_consistent(s.group_public_key, s.public_shares, t - 1, B)
    i = data.draw(st.integers(0, n - 1))  # n + 1 points, degree < t: n + 1 - t >= 1 constraints
    shares = list(s.public_shares)
    shares[i] = B.g1_add(shares[i], B.g1_generator())
    assert not th.shares_are_consistent(s.group_public_key, shares, t, B)
