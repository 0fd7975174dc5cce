"""The ceremony transport's acceptance rule (`node.dkg.rules.judge`): a valid signed message of
this ceremony is accepted; every mutation of it, truncation, another ceremony's message and a
forged signature is REJECTed with a reason, and nothing raises."""

from __future__ import annotations

import random

import pytest

from node.dkg.rules import ACCEPT, REJECT, judge
from protocol.bls import get_backend
from protocol.dkg import DkgSession, Phase
from protocol.dkg_ceremony import Ceremony, Participant
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_wire import decode, encode, sign


def _ceremony(n=4, t=3, seed=1):
    rng = random.Random(seed)
    keys = [ParticipantKeys.generate(rng) for _ in range(n)]
    parts = tuple(Participant(i, f"16Uiu2HAm{'abcdefgh'[i]}" * 2, k.encryption_key,
                              k.signing_key) for i, k in enumerate(keys, 1))
    return Ceremony("rules", 1, t, parts), keys


def test_valid_messages_are_accepted_and_every_mutation_rejected():
    ceremony, keys = _ceremony()
    session = DkgSession(ceremony, keys[0], get_backend(), rng=random.Random(2))
    deal = session.outgoing(Phase.DEAL)[0]
    response = session.outgoing(Phase.COMPLAIN)[0]
    cid = ceremony.id
    assert judge(ceremony, cid, deal)[0] == ACCEPT
    assert judge(ceremony, cid, response)[0] == ACCEPT
    rng = random.Random(3)
    for original in (deal, response):
        for _ in range(300):
            data = bytearray(original)
            kind = rng.randrange(3)
            if kind == 0:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            elif kind == 1:
                data = data[:rng.randrange(len(data))]
            else:
                data[rng.randrange(len(data)):rng.randrange(len(data))] = rng.randbytes(
                    rng.randrange(1, 8))
            if bytes(data) == original:
                continue
            verdict, reason = judge(ceremony, cid, bytes(data))
            assert verdict == REJECT and reason, data


def test_other_ceremony_unknown_sender_and_forged_signature_are_rejected():
    ceremony, keys = _ceremony()
    other, _ = _ceremony(seed=9)
    session = DkgSession(ceremony, keys[1], get_backend(), rng=random.Random(4))
    response = decode(session.outgoing(Phase.COMPLAIN)[0])
    assert judge(other, other.id, encode(response)) == (REJECT, "a message of another ceremony")
    forged = sign(response, keys[2])  # signed by participant 3, claims to be from 2
    assert "bad signature" in judge(ceremony, ceremony.id, encode(forged))[1]
    from dataclasses import replace

    stranger = sign(replace(response, recipient=9), keys[1])
    assert "no such role" in judge(ceremony, ceremony.id, encode(stranger))[1]
    for junk in (b"", b"\xc1", b"\x80", b"\x00" * 100, bytes(range(256))):
        assert judge(ceremony, ceremony.id, junk)[0] == REJECT


@pytest.mark.timeout(240)
async def test_fuzzed_pubsub_frames_on_the_ceremony_topic_crash_nothing():
    """The frame fuzzer (node.p2p_fuzz) against a host configured as a ceremony's (its topic,
    flood publishing, size limit, the ceremony's acceptance rule as validator): no crash, and
    nothing the fuzzer sends is delivered as a ceremony message."""
    from dataclasses import replace

    import trio

    from node.p2p.ceremony import ceremony_config, size_limited
    from node.p2p.peers import PeerLimits
    from node.p2p_fuzz import fuzz
    from node.p2p_fuzz.target import InProcessTarget, free_port
    from protocol.dkg_wire import MAX_DKG_MESSAGE_BYTES

    ceremony, _ = _ceremony()
    config = ceremony_config(ceremony.id, members=("16Uiu2HAmX",),
                             listen=f"/ip4/127.0.0.1/tcp/{free_port()}", bootstrap=(),
                             max_message_bytes=MAX_DKG_MESSAGE_BYTES)
    # every peer a member and no bans, so that every fuzzed frame reaches the parsers and rule
    config = replace(config, members=(), limits=PeerLimits(member_threshold=1e18,
                                                           outsider_threshold=1e18))
    rule = size_limited(lambda _p, data: judge(ceremony, ceremony.id, data),
                        MAX_DKG_MESSAGE_BYTES)
    with trio.fail_after(220):
        async with trio.open_nursery() as nursery:
            target = InProcessTarget(config=config, validator=rule)
            await nursery.start(target.run)
            report = await fuzz(None, ["/meshsub/1.1.0"], 150, 11, big_frames=1, target=target,
                                stop_on_crash=True)
            stats = dict(target.service.stats)
            nursery.cancel_scope.cancel()
    assert not report.crashes and not target.crashes, report.crash_classes()
    assert report.protocols["/meshsub/1.1.0"].frames_sent >= 150
    assert stats["in"] == 0 and stats["restarts"] == 0, stats
