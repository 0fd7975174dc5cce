"""BreachShare (protocol/cover_wire.py) and its gossip rules (protocol/cover_rules.py): strict
decoding of hostile bytes, and each rule's verdict."""

from __future__ import annotations

import dataclasses
import random

import msgpack
import pytest

from protocol import breach, cover_rules, cover_wire, messages
from protocol.bls import get_backend
from protocol.gossip_rules import Reason, Verdict
from protocol.guardian_set import GuardianSet
from protocol.threshold import deal

B = get_backend()
DEALING = deal(4, 3, backend=B, rng=random.Random(4))
GSET = GuardianSet.from_dealing(DEALING, 1, B)
POOL = b"\x50" * 20
NOW = 1_700_000_000
OURS = breach.Confirmation(31337, POOL, b"\x11" * 32, 0, 1000, 41, b"\x22" * 32, NOW + 3600)


def share(index: int = 2, c: breach.Confirmation = OURS, partial_key: int | None = None) -> bytes:
    key = DEALING.shares[(partial_key or index) - 1]
    msg = cover_wire.BreachShare(c, breach.partial_sign(key, c.digest(), B), index, b"")
    return cover_wire.encode(cover_wire.sign(msg, DEALING.shares[index - 1], B))


def ctx(computed=lambda pool, nonce: (True, OURS)) -> cover_rules.CoverContext:
    return cover_rules.CoverContext(GSET, 31337, NOW, frozenset({POOL}), computed)


def verdict(data: bytes, context=None):
    v, outcome, _ = cover_rules.validate_bytes(data, context or ctx(), B)
    return v, outcome.reason, outcome.detail


def test_round_trip_and_acceptance():
    data = share()
    msg = cover_wire.decode(data, B)
    assert msg.confirmation == OURS and msg.guardian == 2
    assert cover_wire.is_breach_share(data)
    assert verdict(data)[:2] == (Verdict.ACCEPT, Reason.VALID)


def test_an_incident_message_decoder_refuses_it_and_the_reverse():
    with pytest.raises(messages.MessageError, match="unknown message type"):
        messages.decode(share(), B)
    hb = messages.encode(messages.sign_message(
        messages.Heartbeat(1, b"\x00" * 32, NOW * 1000, 1, 1, b""), DEALING.shares[0], B))
    assert not cover_wire.is_breach_share(hb)
    assert verdict(hb)[:2] == (Verdict.REJECT, Reason.MALFORMED)


@pytest.mark.parametrize("mutate, why", [
    (lambda m: {**m, "extra": 1}, "unknown field"),
    (lambda m: {k: v for k, v in m.items() if k != "root"}, "missing"),
    (lambda m: {**m, "loss": 5}, "expected bytes"),
    (lambda m: {**m, "loss": b"\x01" * 31}, "32 bytes"),
    (lambda m: {**m, "guardian": 0}, "outside"),
    (lambda m: {**m, "nonce": True}, "unsigned integer"),
    (lambda m: {**m, "partial": b"\x00" * 96}, "G2"),
    (lambda m: {**m, "v": 2}, "version"),
    (lambda m: dict(reversed(list(m.items()))), "version|canonical|order"),
])
def test_malformed_shares_are_rejected_with_a_reason(mutate, why):
    raw = msgpack.unpackb(share(), raw=False)
    data = msgpack.packb(mutate(raw), use_bin_type=True)
    v, reason, detail = verdict(data)
    assert (v, reason) == (Verdict.REJECT, Reason.MALFORMED)
    assert any(w in detail for w in why.split("|")), detail


def test_garbage_never_raises():
    for data in (b"", b"\xc1", b"\x81\xa4type\xacbreach_share", b"\xdd" + b"\xff" * 8, 5000 * b"a"):
        assert verdict(data)[0] is Verdict.REJECT


def test_rules_in_order():
    assert verdict(share(index=2, partial_key=3))[1] is Reason.BAD_PARTIAL
    forged = bytearray(share())
    forged[-5] ^= 1
    assert verdict(bytes(forged))[0] is Verdict.REJECT
    other_chain = dataclasses.replace(OURS, chain_id=1)
    assert verdict(share(c=other_chain))[:2] == (Verdict.IGNORE, Reason.OTHER_DEPLOYMENT)
    expired = dataclasses.replace(OURS, deadline=NOW - 1)
    assert verdict(share(c=expired))[:2] == (Verdict.IGNORE, Reason.EXPIRED)
    other_pool = dataclasses.replace(OURS, pool=b"\x51" * 20)
    assert verdict(share(c=other_pool))[1] is cover_rules.CoverReason.UNKNOWN_POOL
    not_yet = ctx(lambda pool, nonce: (False, None))
    assert verdict(share(), not_yet)[1] is cover_rules.CoverReason.NOT_COMPUTED


def test_a_different_computation_is_rejected_naming_the_fields():
    theirs = dataclasses.replace(OURS, loss=1001, root=b"\x33" * 32)
    v, reason, detail = verdict(share(c=theirs))
    assert (v, reason) == (Verdict.REJECT, cover_rules.CoverReason.MISMATCH)
    assert "loss 1001 (ours 1000)" in detail and "root" in detail and "snapshot" not in detail
    nothing = ctx(lambda pool, nonce: (True, None))
    v, reason, detail = verdict(share(), nothing)
    assert reason is cover_rules.CoverReason.MISMATCH and "nothing to confirm" in detail


def test_combination_needs_t_valid_partials():
    digest = OURS.digest()
    partials = {i: breach.partial_sign(DEALING.shares[i - 1], digest, B) for i in (1, 2, 3)}
    sig = breach.combine_confirmation(GSET, digest, partials, B)
    assert B.verify(GSET.group_public_key, digest, sig, breach.DST_BREACH)
    partials[3] = partials[2]  # not guardian 3's
    with pytest.raises(breach.BreachError, match="2 valid partials, 3 needed"):
        breach.combine_confirmation(GSET, digest, partials, B)
