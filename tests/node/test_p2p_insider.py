"""node/p2p against an admitted peer (an insider holding a guardian's identity key, or an observer):
it cannot fill a guardian's log through py-libp2p's own log lines, load it for free with useless
messages, or steer its dials through peer exchange; and a stranger's refused handshakes are
throttled, then banned, before the next handshake starts."""

from __future__ import annotations

import io
import logging
import re

import pytest
import trio
from libp2p.peer.id import ID
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.pubsub.pb import rpc_pb2

from node.bench.outsider import outsider
from node.logs import setup_logging
from node.p2p import P2PConfig, P2PService
from node.p2p.handshakes import HandshakeLimits, HandshakeThrottle
from node.p2p.identity import generate_identity, peer_id_of
from node.p2p.peers import PeerLedger, PeerLimits

from .p2p_helpers import V
from .p2p_helpers import until as _until

pytestmark = pytest.mark.timeout(120)

FORMATTED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ +g1 [\w.]+: ")


def judge(peer, data):
    if data.startswith(b"stale"):
        return V.IGNORE, "stale heartbeat"
    return V.ACCEPT


async def _guardian(nursery, *, outsiders: str = "deny", extra_members=()) -> P2PService:
    identity = generate_identity()
    cfg = P2PConfig(members=(peer_id_of(identity),) + tuple(extra_members), outsiders=outsiders)
    svc = P2PService(cfg, identity, judge)
    await nursery.start(svc.run)
    return svc


def _addr(svc) -> str:
    return svc.listen_addrs()[0]


@pytest.fixture
def node_log():
    """The node's own log set-up (formatted lines) writing into a buffer."""
    buffer = io.StringIO()
    setup_logging("g1", stream=buffer)
    yield buffer
    logging.getLogger().handlers.clear()


async def test_library_lines_an_insider_causes_are_formatted_bounded_and_charged(node_log,
                                                                                   capsys):
    """2,000 RPCs with a garbage senderRecord and 100 oversized length prefixes from a peer
    holding a member's key, under `deny`: py-libp2p logged two bare lines per RPC and one per
    prefix on stderr, unbounded and uncharged. Now: formatted lines within the log bounds, every
    one of them charged, and the insider banned."""
    insider_key = generate_identity()
    async with trio.open_nursery() as nursery:
        a = await _guardian(nursery, extra_members=(peer_id_of(insider_key),))
        async with outsider(secret=insider_key) as insider:
            await insider.connect(_addr(a))
            garbage = rpc_pb2.RPC(senderRecord=b"\x0a\x03not an envelope").SerializeToString()
            for _ in range(20):
                await insider.send_frames(_addr(a), [garbage] * 100)
                if a.ledger.is_banned(insider.peer_id):
                    break
            for _ in range(100):
                await insider.send_frames(_addr(a), [b"\xff\xff\xff\x0f"], prefixed=False)
            await _until(lambda: a.ledger.is_banned(insider.peer_id))
        nursery.cancel_scope.cancel()
    report = a.peer_report()
    assert report["library_lines"] >= 200  # 0.25 each: the member threshold (50) was crossed
    assert report["bans"] >= 1
    assert "Certified-Addr-Book" not in capsys.readouterr().err  # nothing bare on stderr
    text = node_log.getvalue()
    lines = text.splitlines()
    assert all(FORMATTED.match(line) for line in lines), [ln for ln in lines
                                                         if not FORMATTED.match(ln)][:3]
    charged = [ln for ln in lines if "): libp2p:" in ln]  # "peer X (member): libp2p: ..."
    assert charged and all(insider.peer_id in ln for ln in charged)
    assert len(text.encode()) < 8_000, len(text.encode())


def test_a_library_record_becomes_one_bounded_printable_line_naming_its_peer():
    from node.p2p.library_log import MAX_TEXT, one_line, peer_in_record

    peer = ID.from_base58(peer_id_of(generate_identity()))
    try:
        raise ValueError("bad\x1b[31m frame\nfrom " + "x" * 500)
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("libp2p.pubsub", logging.ERROR, "f.py", 1,
                               "peer %s sent\n  a block", (peer,), exc_info)
    line = one_line(record)
    assert "\n" not in line and "\x1b" not in line and "Traceback" not in line
    assert len(line) == MAX_TEXT and line.startswith(f"peer {peer.to_base58()} sent a block")
    assert peer_in_record(record) == peer.to_base58()
    text_only = logging.LogRecord("libp2p.host", logging.ERROR, "f.py", 1,
                                  f"Failed to open stream to peer {peer.to_base58()}:\n x", (),
                                  None)
    assert peer_in_record(text_only) == peer.to_base58()


async def test_failed_meshsub_opens_to_an_observer_are_one_charged_line_each(node_log, capsys):
    """A stock host without pubsub, admitted as observer: each failed /meshsub open was a 7-line
    bare block on stderr. Now one formatted line, charged to the observer."""
    async with trio.open_nursery() as nursery:
        a = await _guardian(nursery, outsiders="observe")
        async with outsider() as watcher:
            await watcher.connect(_addr(a))
            await _until(lambda: a.ledger.report()["library_lines"] >= 1)
            assert a.ledger.penalty(watcher.peer_id) > 0
        nursery.cancel_scope.cancel()
    assert "Failed to open stream" not in capsys.readouterr().err
    lines = node_log.getvalue().splitlines()
    assert all(FORMATTED.match(line) for line in lines)
    assert any("Failed to open stream" in ln and watcher.peer_id in ln for ln in lines)


async def test_a_member_replaying_stale_heartbeats_under_the_old_rate_limit_is_banned():
    """95 IGNOREd messages a second (the old per-peer limit was 100/s) from a member's key: it
    was never banned, and every message was validated. Now past its IGNORE budget (and over the
    rate an honest guardian sends) it is banned and cut off."""
    insider_key = generate_identity()
    async with trio.open_nursery() as nursery:
        a = await _guardian(nursery, extra_members=(peer_id_of(insider_key),))
        topic = a.config.topic
        async with outsider(secret=insider_key) as insider:
            await insider.connect(_addr(a))
            sub = rpc_pb2.RPC.SubOpts(subscribe=True, topicid=topic)
            seq = 0
            with trio.fail_after(30):
                while not a.ledger.is_banned(insider.peer_id):
                    batch = []
                    for _ in range(19):  # 19 per 0.2 s: 95 per second
                        seq += 1
                        batch.append(insider.signed_message(topic, b"stale %d" % seq, seq))
                    await insider.send_rpc(_addr(a), rpc_pb2.RPC(subscriptions=[sub],
                                                                 publish=batch))
                    await trio.sleep(0.2)  # the attacker's pace, not synchronisation
            await _until(lambda: insider.peer_id not in a.connected_peers())
        nursery.cancel_scope.cancel()
    budget = PeerLimits().ignore_budget
    # banned after its budget plus member_threshold / ignore_penalty (100) useless messages
    assert a.stats["validated"] <= budget + 100 + 40, a.stats["validated"]
    assert a.ledger.totals.ignores_over_budget >= 1


def test_an_honest_rate_of_ignores_costs_nothing():
    now = [0.0]
    ledger = PeerLedger(frozenset({"m"}), "deny", PeerLimits(), clock=lambda: now[0])
    for _ in range(60):  # a heartbeat that loses a race every second, for a minute
        assert ledger.on_ignore("m", "stale") == (False, False)
        now[0] += 1.0
    assert ledger.penalty("m") == 0.0
    burst = [ledger.on_ignore("m", "stale")[0] for _ in range(60)]  # one window's worth at once
    assert burst.count(True) == 60 - PeerLimits().ignore_budget
    assert ledger.penalty("m") > 0


def test_library_lines_cost_a_non_member_more_than_a_member():
    ledger = PeerLedger(frozenset({"m"}), "observe", PeerLimits(), clock=lambda: 100.0)
    assert [ledger.on_library_line("o", "complaint") for _ in range(10)][-1]  # 10 x 1.0: banned
    assert not any(ledger.on_library_line("m", "complaint") for _ in range(100))  # 100 x 0.25


def test_the_member_rate_limit_and_ignore_budget_grow_with_the_guardian_set():
    limits = PeerLimits()
    small = PeerLedger(frozenset({f"m{i}" for i in range(7)}), "deny")
    large = PeerLedger(frozenset({f"m{i}" for i in range(300)}), "deny")
    assert small.member_rate == limits.member_messages_per_second
    assert large.member_rate == 300 * limits.messages_per_second_per_member
    assert small.ignore_budget == limits.ignore_budget
    assert large.ignore_budget == 300 * limits.ignores_per_member


async def test_peer_exchange_from_a_member_naming_an_attacker_address_makes_no_dial():
    """A PRUNE with peer exchange, from a peer holding a member's key, carrying a valid signed
    record of a non-member at an address the attacker chose: the guardian dialed it."""
    insider_key = generate_identity()
    async with trio.open_nursery() as nursery:
        a = await _guardian(nursery, extra_members=(peer_id_of(insider_key),))
        async with outsider(secret=insider_key) as insider, outsider() as bait:
            await insider.connect(_addr(a))
            envelope, _ = env_to_send_in_RPC(bait.host)
            prune = rpc_pb2.ControlPrune(topicID=a.config.topic, backoff=1, peers=[
                rpc_pb2.PeerInfo(peerID=bait.host.get_id().to_bytes(),
                                 signedPeerRecord=envelope)])
            rpc = rpc_pb2.RPC(control=rpc_pb2.ControlMessage(prune=[prune]))
            for _ in range(3):
                await insider.send_rpc(_addr(a), rpc)
            await _until(lambda: a.ledger.totals.px_dropped >= 3)  # handled, and dropped
            assert a.peer_id not in {p.to_base58() for p in bait.host.get_connected_peers()}
            assert bait.peer_id not in a.connected_peers()
        nursery.cancel_scope.cancel()


async def test_peer_exchange_about_a_member_needs_that_members_signed_record(monkeypatch):
    from libp2p.pubsub.gossipsub import GossipSub

    from node.p2p.router import GuardianGossipSub

    member, stranger = (ID.from_base58(peer_id_of(generate_identity())) for _ in range(2))
    ledger = PeerLedger(frozenset({member.to_base58()}), "deny")
    router = GuardianGossipSub(["/meshsub/1.1.0"], degree=6, degree_low=4, degree_high=12,
                               ledger=ledger)
    dialed: list = []

    async def library_px(self, peers):
        dialed.extend(ID(p.peerID) for p in peers)

    monkeypatch.setattr(GossipSub, "_do_px", library_px)
    await router._do_px([
        rpc_pb2.PeerInfo(peerID=member.to_bytes(), signedPeerRecord=b"record"),
        rpc_pb2.PeerInfo(peerID=member.to_bytes()),  # no record: the peerstore's guess
        rpc_pb2.PeerInfo(peerID=stranger.to_bytes(), signedPeerRecord=b"record"),
        rpc_pb2.PeerInfo(peerID=b"\x00garbage")])
    assert dialed == [member]
    assert ledger.totals.px_dropped == 3


async def test_refused_handshakes_are_throttled_then_banned_before_the_handshake():
    """Under `deny` every redial of a stranger cost a full Noise handshake (16 redials, 16
    handshakes). Now its address gets `refusal_burst` refused handshakes; then it is banned and
    its connections are closed before the handshake."""
    async with trio.open_nursery() as nursery:
        a = await _guardian(nursery)
        async with outsider() as stranger:
            for _ in range(16):  # about 0.8 s each: the library retries within one dial
                with pytest.raises(Exception):  # noqa: B017 - the library's dial errors vary
                    await stranger.connect(_addr(a), timeout=5)
        nursery.cancel_scope.cancel()
    burst = int(HandshakeLimits().refusal_burst)
    report = a.peer_report()
    assert report["refused_connections"] <= burst + 1, report["refused_connections"]
    assert report["address_bans"] == 1 and report["banned_addresses_now"] == 1
    assert report["throttled_connections"] >= 16 - burst - 1


def test_the_handshake_throttle_refills_doubles_its_bans_and_spares_member_addresses():
    now = [0.0]
    limits = HandshakeLimits(refusal_burst=3, refusals_per_second=1, ban_seconds=10)
    throttle = HandshakeThrottle(limits, protected={"10.0.0.2"}, clock=lambda: now[0])
    assert throttle.admit("10.0.0.1")
    assert [throttle.on_refused("10.0.0.1") for _ in range(3)] == [False, False, True]
    assert not throttle.admit("10.0.0.1")
    now[0] += 10.5  # the ban is over; half a token back
    assert not throttle.admit("10.0.0.1")
    now[0] += 0.5
    assert throttle.admit("10.0.0.1")
    assert throttle.on_refused("10.0.0.1")  # refused again at once: a second, longer ban
    now[0] += 15
    assert throttle.is_banned("10.0.0.1")
    for _ in range(5):  # a guardian's address: throttled while dry, never banned
        assert not throttle.on_refused("10.0.0.2")
    assert not throttle.admit("10.0.0.2") and not throttle.is_banned("10.0.0.2")
    now[0] += 1
    assert throttle.admit("10.0.0.2")


def test_own_incident_messages_flood_to_every_member_and_the_rest_keep_to_the_mesh():
    """With more members than the mesh degree, a marked message of ours (a share) reaches every
    member on the topic in one hop; an unmarked one (a heartbeat) and a forwarded one go to the
    mesh only; a stranger on the topic never gets a flooded copy."""
    from types import SimpleNamespace

    from node.p2p.router import FLOOD_IDS_KEPT, GuardianGossipSub

    me, *members = (ID.from_base58(peer_id_of(generate_identity())) for _ in range(9))
    stranger = ID.from_base58(peer_id_of(generate_identity()))
    ledger = PeerLedger(frozenset(p.to_base58() for p in [me, *members]), "deny")
    router = GuardianGossipSub(["/meshsub/1.1.0"], degree=3, degree_low=2, degree_high=4,
                               ledger=ledger)
    router.pubsub = SimpleNamespace(my_id=me, peer_topics={"t": {*members, stranger}})
    router.mesh["t"] = set(members[:3])

    def sent(msg_id: bytes, origin: ID = me, forwarder: ID = me) -> set:
        return set(router._get_peers_to_send(["t"], forwarder, origin, msg_id))

    assert sent(b"heartbeat") == set(members[:3])
    router.flood_next(b"share")
    assert sent(b"share") == set(members)
    assert sent(b"share") == set(members[:3]), "a mark is used once (a re-gossip is re-marked)"
    router.flood_next(b"relayed")
    assert sent(b"relayed", origin=members[5], forwarder=members[5]) == set(members[:3]) - {
        members[5]}
    for i in range(FLOOD_IDS_KEPT + 10):
        router.flood_next(i.to_bytes(4, "big"))
    assert len(router._flood_ids) == FLOOD_IDS_KEPT


def test_a_library_line_about_our_own_queue_is_not_charged_to_the_peer():
    """'Cannot flush pending messages for X: no stream available' is py-libp2p reporting its own
    queue for a peer whose stream is not open yet (any connection's start): not X's offence. A
    line X causes is still charged."""
    from node.p2p.policy import PeerPolicy

    ledger = PeerLedger(frozenset({"m"}), "deny", PeerLimits(), clock=lambda: 100.0)
    node = PeerPolicy()
    node.peer_id, node.ledger, node.stats = "me", ledger, {"library_lines": 0}
    node._library_line("m", logging.WARNING,
                       "Cannot flush pending messages for m: no stream available")
    assert ledger.penalty("m") == 0 and node.stats["library_lines"] == 1
    node._library_line("m", logging.WARNING, "Failed to decode a message from m")
    assert ledger.penalty("m") > 0
