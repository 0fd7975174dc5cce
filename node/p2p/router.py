"""GossipSub as guardians run it: the mesh is made of members only, peer exchange is accepted
from members only, and a banned peer is graylisted.

py-libp2p's router selects mesh peers without looking at scores and accepts a GRAFT from anyone
who is not graylisted. Here membership decides instead (the guardian-set file names every member's
peer id): an observer may be connected and subscribed, receives gossip through IHAVE/IWANT, but is
never grafted, so it never takes a mesh slot from a guardian and members are never pruned for it.
"""

from __future__ import annotations

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


class GuardianGossipSub(GossipSub):
    def __init__(self, *args, ledger: PeerLedger, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = ledger
        self.scorer = GuardianScorer(self.scorer.params, ledger)

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
