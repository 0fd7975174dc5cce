"""Issue 17, flood scenario: a member re-sending the same valid message over and over was never
named (the seen cache dropped the copies, under the rate limit nothing counted). More than five
copies of one message from one peer within a minute is now an offence charged to that peer;
honest re-gossip (one copy per 30 s or more) stays well below."""

from __future__ import annotations

from node.p2p.copies import CopyCounter


def test_copies_beyond_the_limit_are_offences_once_per_limit():
    now = [0.0]
    counter = CopyCounter(limit=5, window=60.0, clock=lambda: now[0])
    offences = [counter.note("peer", b"m") for _ in range(16)]
    assert [n for n in offences if n] == [6, 11, 16]
    assert counter.note("other", b"m") == 0  # counted per peer
    assert counter.offence("peer", b"m") == ""
    assert "sent one message 21 times within 60s" in [counter.offence("peer", b"m")
                                                        for _ in range(4)][-1]


def test_honest_regossip_is_never_an_offence():
    now = [0.0]
    counter = CopyCounter(limit=5, window=60.0, clock=lambda: now[0])
    for _ in range(50):  # a share re-gossiped every 30 s for 25 minutes
        assert counter.note("peer", b"share") == 0
        now[0] += 30.0


def test_state_is_bounded():
    counter = CopyCounter(capacity=100)
    for k in range(1000):
        counter.note("peer", k.to_bytes(4, "big"))
    assert len(counter._seen) == 100
