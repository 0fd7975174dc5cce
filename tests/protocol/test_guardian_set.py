"""The guardian set: canonical encoding, hash, JSON file, strict validation."""

from __future__ import annotations

import json
import random

import msgpack
import pytest

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
])
def test_bad_json_is_refused(gset, mutate, match):
    doc = json.loads(gset.to_json())
    mutate(doc)
    with pytest.raises(GuardianSetError, match=match):
        GuardianSet.from_json(json.dumps(doc))


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
