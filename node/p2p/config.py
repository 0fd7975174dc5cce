"""GossipSub, host and peer-policy settings, chosen deliberately (py-libp2p's defaults suit none
of them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.p2p.handshakes import HandshakeLimits
from node.p2p.peers import PeerLimits
from protocol.gossip_rules import TOPIC


@dataclass(frozen=True)
class P2PConfig:
    listen: str = "/ip4/127.0.0.1/tcp/0"
    bootstrap: tuple[str, ...] = ()
    topic: str = TOPIC
    # The guardians' libp2p peer ids (from the guardian-set file). Empty: membership unknown,
    # every peer is treated as a member (a warning says so at start).
    members: tuple[str, ...] = ()
    # Peers outside the guardian set: "deny" (refused after the handshake) or "observe"
    # (read-only, never in the mesh, their messages dropped unvalidated). See node.p2p.peers.
    outsiders: str = "deny"
    limits: PeerLimits = field(default_factory=PeerLimits)
    # Refused inbound handshakes per source address: throttled, then banned (node.p2p.handshakes).
    handshakes: HandshakeLimits = field(default_factory=HandshakeLimits)
    # Mesh degree as in go-libp2p: D=6, D_lo=4, D_hi=12.
    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    # The library default is 120 s; go-libp2p uses 1 s. Meshes form and heal within seconds.
    heartbeat_interval: int = 1
    # Library spam limit per peer per topic, own publishes included, silently dropped beyond
    # (defect 3). Our own per-peer budget (limits) applies first, before validation.
    max_messages_per_topic_per_second: float = 200.0
    # Outbound RPC queue per peer (library: 32, halved by IDONTWANT) and our own inbound channel.
    outbound_queue_size: int = 512
    subscription_buffer: int = 1024
    inbound_buffer: int = 1024
    # Largest inbound pubsub RPC frame; our messages are a few hundred bytes to a few KiB.
    max_rpc_bytes: int = 256 * 1024
    # Redial lost bootstrap peers with exponential backoff between these bounds (seconds).
    redial_min_seconds: float = 0.5
    redial_max_seconds: float = 15.0
    # All devnet guardians share one IP; the guardian set, not IP diversity, is our sybil defence.
    eclipse_protection: bool = False
    # Our own messages go to every connected member on the topic, not only the mesh (the key
    # ceremony: few members, every message must reach each of them; see node.p2p.router).
    flood_publish: bool = False
    # Our own incident messages (`publish(..., flood=True)`) go over a direct link to each
    # connected member first (node.p2p.direct); False: gossip only, as before issue 23.
    direct: bool = True
    # Restart the libp2p host if a library service dies despite the guards, after this delay.
    restart_delay_seconds: float = 1.0
