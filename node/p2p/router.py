"""GossipSub as guardians run it: the mesh is made of members only, peer exchange is accepted
from members only and only about members, and a banned peer is graylisted.

py-libp2p's router selects mesh peers without looking at scores and accepts a GRAFT from anyone
who is not graylisted. Here membership decides instead (the guardian-set file names every member's
peer id): an observer may be connected and subscribed, receives gossip through IHAVE/IWANT, but is
never grafted, so it never takes a mesh slot from a guardian and members are never pruned for it.

With `flood_publish` (the key ceremony: few members, every message must reach every member), a
message we publish ourselves goes to every connected member subscribed to the topic, not only to
the mesh, so a member that has just (re)connected gets it before the mesh has grafted it.
`flood_next(msg_id)` asks the same for one message only: a guardian floods its own incident
messages (reports, shares, proofs), so with more members than the mesh degree every member gets
them in one hop instead of two, while heartbeats keep to the mesh. Forwarding is unchanged (mesh
only), so a message still costs each node one copy per mesh peer.

Peer exchange cannot steer our dials. Members' addresses come from the guardian-set file (the
dialer keeps them connected); a PRUNE's peer exchange, even from a member (whose key may be
compromised), is acted on only for entries that name a member *and* carry that member's own signed
peer record. An entry naming anyone else, or a member without its record (the library would then
dial whatever the peerstore holds), is dropped and counted (`px_dropped`) and never dialed.
"""

from __future__ import annotations

from collections import OrderedDict

from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.score import PeerScorer, ScoreParams

from node.p2p.peers import PeerLedger


class GuardianScorer(PeerScorer):
    """The library's gates answered from the peer ledger: graylisted while banned; peer exchange
    only from members in good standing."""

    def __init__(self, params: ScoreParams, ledger: PeerLedger) -> None:
        super().__init__(params)
        self.ledger = ledger

    def is_graylisted(self, peer: ID, topics: list[str]) -> bool:
        return self.ledger.is_banned(peer.to_base58())

    def allow_px_from(self, peer: ID, topics: list[str]) -> bool:
        name = peer.to_base58()
        return (self.ledger.knows_members and self.ledger.is_member(name)
                and not self.ledger.is_banned(name))

    def score(self, peer: ID, topics: list[str]) -> float:
        """Non-members rank below every member (mesh upkeep and replacement use the score)."""
        name = peer.to_base58()
        if self.ledger.is_banned(name):
            return -1e9
        base = super().score(peer, topics)
        return base if self.ledger.is_member(name) else base - 1e6

    def allow_publish(self, peer: ID, topics: list[str]) -> bool:
        return not self.ledger.is_banned(peer.to_base58())

    def allow_gossip(self, peer: ID, topics: list[str]) -> bool:
        return not self.ledger.is_banned(peer.to_base58())


FLOOD_IDS_KEPT = 256  # own messages marked for flooding and not yet sent (a bound, not a queue)


class GuardianGossipSub(GossipSub):
    def __init__(self, *args, ledger: PeerLedger, flood_publish: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = ledger
        self.flood_publish = flood_publish
        self._flood_ids: OrderedDict[bytes, None] = OrderedDict()
        self.scorer = GuardianScorer(self.scorer.params, ledger)

    async def _do_px(self, px_peers) -> None:
        """Keep only the entries about members that carry a signed record (the library checks
        that the record's peer id is the entry's and that the member signed it)."""
        kept = []
        for entry in px_peers:
            try:
                name = ID(entry.peerID).to_base58()
            except Exception:  # noqa: BLE001 - a garbage peer id is just dropped
                name = None
            if (name is not None and self.ledger.knows_members and self.ledger.is_member(name)
                    and entry.HasField("signedPeerRecord") and len(entry.signedPeerRecord) > 0):
                kept.append(entry)
            else:
                self.ledger.totals.px_dropped += 1
        if kept:
            await super()._do_px(kept)

    def _meshable(self, peer: ID) -> bool:
        name = peer.to_base58()
        return self.ledger.is_member(name) and not self.ledger.is_banned(name)

    def mesh_heartbeat(self):
        peers_to_graft, peers_to_prune = super().mesh_heartbeat()
        for topic, mesh in self.mesh.items():
            for peer in [p for p in mesh if not self._meshable(p)]:
                mesh.discard(peer)
                if topic in peers_to_graft.get(peer, ()):
                    peers_to_graft[peer].remove(topic)
                    if not peers_to_graft[peer]:
                        del peers_to_graft[peer]
                else:
                    peers_to_prune[peer].append(topic)
        return peers_to_graft, peers_to_prune

    async def on_peer_subscribed(self, peer_id: ID, topic: str) -> None:
        if self._meshable(peer_id):
            await super().on_peer_subscribed(peer_id, topic)

    async def handle_graft(self, graft_msg, sender_peer_id: ID) -> None:
        if not self._meshable(sender_peer_id):
            await self.emit_prune(graft_msg.topicID, sender_peer_id, False, False)
            return
        await super().handle_graft(graft_msg, sender_peer_id)

    def flood_next(self, msg_id: bytes) -> None:
        """Send our own message with this id to every member on the topic, not only the mesh."""
        self._flood_ids[msg_id] = None
        while len(self._flood_ids) > FLOOD_IDS_KEPT:
            self._flood_ids.popitem(last=False)

    def _get_peers_to_send(self, topic_ids, msg_forwarder: ID, origin: ID, msg_id=None):
        peers = set(super()._get_peers_to_send(topic_ids, msg_forwarder, origin, msg_id))
        marked = msg_id is not None and msg_id in self._flood_ids
        if marked:
            del self._flood_ids[msg_id]
        flood = self.flood_publish or marked
        if flood and self.pubsub is not None and origin == self.pubsub.my_id:
            for topic in topic_ids:
                peers |= {p for p in self.pubsub.peer_topics.get(topic, ()) if self._meshable(p)}
            peers.discard(origin)
        yield from peers
