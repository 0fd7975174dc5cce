"""node/p2p/direct: our own incident messages reach every connected member once over a direct
link, with no gossip when that reaches everyone; gossip still carries them to a member that is not
connected or whose link fails (once per message, not once per failed link); and a direct link is
no way in for an observer, an oversized or stalled frame, a rejected message or a flood of copies.
"""

from __future__ import annotations

import pytest
import trio

from node.bench.outsider import outsider
from node.p2p import P2PConfig, P2PService, direct
from node.p2p.direct import DIRECT_PROTOCOL, frame
from node.p2p.identity import generate_identity, peer_id_of

from .p2p_helpers import V
from .p2p_helpers import until as _until

pytestmark = pytest.mark.timeout(120)


def judge(peer, data):
    if data.startswith(b"boom"):
        raise RuntimeError("validator bug")
    return V.REJECT if data.startswith(b"bad") else V.ACCEPT


async def _network(nursery, count: int, *, extra_members=(), outsiders: str = "deny"):
    """`count` members, each dialing every one started before it (all connected to all)."""
    keys = [generate_identity() for _ in range(count)]
    members = tuple(peer_id_of(k) for k in keys) + tuple(extra_members)
    services, boot = [], []
    for key in keys:
        svc = P2PService(P2PConfig(members=members, bootstrap=tuple(boot), outsiders=outsiders),
                         key, judge)
        await nursery.start(svc.run)
        services.append(svc)
        boot += [f"{a}/p2p/{svc.peer_id}" for a in svc.listen_addrs()]
    await _until(lambda: min(s.peer_count() for s in services) >= count - 1)
    return services


def _drain(svc) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(svc.inbound.receive_nowait()[1])
        except trio.WouldBlock:
            return got


async def test_a_flooded_message_goes_over_direct_links_only_once_to_each_member():
    async with trio.open_nursery() as nursery:
        a, b, c, d = await _network(nursery, 4)
        await a.publish(b"share 1", flood=True)
        await _until(lambda: all(s.stats["in"] >= 1 for s in (b, c, d)))
        assert a.stats["gossiped"] == 0 and a.stats["direct_out"] == 3
        assert a.peer_report()["direct_out"] == 3  # what /status shows under "p2p"
        for svc in (b, c, d):
            assert svc.stats["direct_in"] == 1 and svc.stats["validated"] == 1
            assert _drain(svc) == [b"share 1"]
        await b.publish(b"heartbeat", flood=False)  # not an incident message: gossip as before
        await _until(lambda: a.stats["in"] >= 1)
        assert b.stats["gossiped"] == 1 and _drain(a) == [b"heartbeat"]
        nursery.cancel_scope.cancel()


async def test_a_validator_that_raises_on_a_direct_frame_drops_it_and_charges_nobody():
    async with trio.open_nursery() as nursery:
        a, b = await _network(nursery, 2)
        await a.publish(b"boom share", flood=True)
        await a.publish(b"share after", flood=True)
        await _until(lambda: b.stats["in"] >= 1)
        assert _drain(b) == [b"share after"] and b.stats["direct_in"] == 2
        assert b.stats["faults"] == 0 and b.ledger.penalty(a.peer_id) == 0
        nursery.cancel_scope.cancel()


async def test_a_member_not_connected_still_gets_it_by_gossip_and_nobody_gets_two():
    absent = peer_id_of(generate_identity())  # in the guardian set, never started
    async with trio.open_nursery() as nursery:
        a, b, c = await _network(nursery, 3, extra_members=(absent,))
        await _until(lambda: a.mesh_peer_count() >= 2 and b.mesh_peer_count() >= 2)
        await a.publish(b"share 2", flood=True)
        await _until(lambda: all(s.stats["in"] >= 1 for s in (b, c)))
        assert a.stats["gossiped"] == 1  # someone is left out: gossip too
        await _until(lambda: a.stats["direct_out"] == 2)
        for svc in (b, c):
            assert _drain(svc) == [b"share 2"]
        nursery.cancel_scope.cancel()


async def test_a_banned_member_is_not_someone_the_links_left_out():
    async with trio.open_nursery() as nursery:
        a, b, c = await _network(nursery, 3)
        while not a.ledger.on_fault(c.peer_id, "sent garbage"):
            pass
        assert a.ledger.is_banned(c.peer_id)
        await a.publish(b"share 4", flood=True)
        await _until(lambda: b.stats["in"] >= 1)
        assert _drain(b) == [b"share 4"]
        assert a.stats["gossiped"] == 0  # before: gossip for c, whether connected or dropped
        assert a.stats["direct_out"] == 1
        nursery.cancel_scope.cancel()


async def test_a_failed_link_falls_back_to_gossip_once_per_message(monkeypatch):
    async with trio.open_nursery() as nursery:
        a, b, c = await _network(nursery, 3)
        await _until(lambda: a.mesh_peer_count() >= 2)

        async def refuse(*args, **kwargs):
            raise OSError("the link is down")

        a._direct._queues.clear()  # links opened again, through the failing opener
        monkeypatch.setattr(a._direct, "_open", refuse)
        await a.publish(b"share 3", flood=True)
        await _until(lambda: all(s.stats["in"] >= 1 for s in (b, c)))
        await _until(lambda: a.stats["direct_failed"] == 2)
        assert a.stats["gossiped"] == 1  # two failed links, one gossip
        assert _drain(b) == [b"share 3"] and _drain(c) == [b"share 3"]
        nursery.cancel_scope.cancel()


async def test_an_observer_cannot_open_a_direct_link():
    async with trio.open_nursery() as nursery:
        (a,) = await _network(nursery, 1, outsiders="observe")
        async with outsider() as watcher:
            await watcher.connect(a.listen_addrs()[0] + f"/p2p/{a.peer_id}")
            await watcher.send_frames(a.listen_addrs()[0] + f"/p2p/{a.peer_id}",
                                      [frame(b"share from an observer")], DIRECT_PROTOCOL,
                                      prefixed=False)
            await _until(lambda: a.ledger.penalty(watcher.peer_id) > 0)
        assert a.stats["direct_in"] == 0 and _drain(a) == []
        nursery.cancel_scope.cancel()


async def test_a_members_bad_frames_are_charged_and_a_flood_of_copies_is_delivered_once(
        monkeypatch):
    monkeypatch.setattr(direct, "FRAME_TIMEOUT_SECONDS", 0.5)
    insider_key = generate_identity()
    async with trio.open_nursery() as nursery:
        (a,) = await _network(nursery, 1, extra_members=(peer_id_of(insider_key),))
        addr = a.listen_addrs()[0] + f"/p2p/{a.peer_id}"
        async with outsider(secret=insider_key) as insider:
            await insider.connect(addr)
            oversized = (a.config.max_rpc_bytes + 1).to_bytes(4, "big")
            await insider.send_frames(addr, [oversized + b"x" * 64], DIRECT_PROTOCOL,
                                      prefixed=False)
            await _until(lambda: a.stats["faults"] >= 1)
            await insider.send_frames(addr, [(0).to_bytes(4, "big")], DIRECT_PROTOCOL,
                                      prefixed=False)
            await _until(lambda: a.stats["faults"] >= 2)
            await insider.send_frames(addr, [frame(b"bad share")], DIRECT_PROTOCOL,
                                      prefixed=False)
            await _until(lambda: a.stats["rejected"] >= 1)
            # a header, then half a frame and silence: reset and charged after the timeout
            stalled = await insider.host.new_stream(a._host.get_id(), [DIRECT_PROTOCOL])
            await stalled.write((100).to_bytes(4, "big") + b"half")
            await _until(lambda: a.stats["faults"] >= 3)
            copies = [frame(b"share 4")] * 40
            await insider.send_frames(addr, copies, DIRECT_PROTOCOL, prefixed=False)
            await _until(lambda: a.stats["in"] >= 1)
            await _until(lambda: a.stats["direct_in"] >= 41)
            assert a.ledger.penalty(insider.peer_id) > 0
        assert _drain(a) == [b"share 4"]  # the rejected one and the copies never delivered
        assert a.stats["validated"] == 2  # "bad share" and the first copy of "share 4"
        nursery.cancel_scope.cancel()


def test_the_devnet_connects_every_pair_of_guardians_while_the_mesh_need_not_prune():
    """Direct links reach only connected members: up to 13 guardians the devnet's dials cover
    every pair; beyond, each dials 4 (more peers than D_hi made py-libp2p churn its mesh)."""
    from node.devnet.network import ring_neighbours

    for n in range(2, 21):
        addrs = {i: f"a{i}" for i in range(1, n + 1)}
        pairs = {frozenset((i, int(a[1:]))) for i in addrs for a in ring_neighbours(addrs, i)}
        assert (len(pairs) == n * (n - 1) // 2) == (n <= 13), n
        assert all(len(ring_neighbours(addrs, i)) <= max(4, n // 2) for i in addrs)


class _Msg:
    def __init__(self, data: bytes) -> None:
        self.data = data


async def test_a_frame_the_link_authenticated_is_checked_in_full_before_it_is_forwarded():
    """A link validator's ACCEPT (a share from its author: no guardian signature check) delivers
    the frame, but its gossip copy is not forwarded as already checked: the full validator
    judges it first. Frames the link validator leaves (None) are judged in full at once."""
    full: list[bytes] = []

    def validator(peer, data):
        full.append(data)
        return V.REJECT if data.endswith(b"unsigned") else V.ACCEPT

    def link(peer, data):
        return V.ACCEPT if data.startswith(b"linked") else None

    async with trio.open_nursery() as nursery:
        a, b = await _network(nursery, 2)
        b.validator, b.link_validator = validator, link
        await b._direct_in(a.peer_id, b"linked share unsigned")
        await b._direct_in(a.peer_id, b"report")
        assert _drain(b) == [b"linked share unsigned", b"report"]
        assert full == [b"report"]  # the linked one was judged by the link validator alone
        # their gossip copies: the report was checked in full, the linked share was not
        assert b._validate(a.peer_id, _Msg(b"report")) is True and full == [b"report"]
        assert b._validate(a.peer_id, _Msg(b"linked share unsigned")) is False
        assert full == [b"report", b"linked share unsigned"]
        assert b.ledger.penalty(a.peer_id) > 0  # its forwarder is charged as for any REJECT
        # a link validator that raises leaves the frame to the full rules
        b.link_validator = lambda peer, data: 1 / 0
        await b._direct_in(a.peer_id, b"linked again")
        assert _drain(b) == [b"linked again"] and full[-1] == b"linked again"
        nursery.cancel_scope.cancel()
