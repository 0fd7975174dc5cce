"""GossipSub and host settings, chosen deliberately (py-libp2p's defaults suit none of them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class P2PConfig:
    listen: str = "/ip4/127.0.0.1/tcp/0"
    bootstrap: tuple[str, ...] = ()
    topic: str = "guardian-network/v1/incidents"
    # Mesh degree as in go-libp2p: D=6, D_lo=4, D_hi=12.
    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    # The library default is 120 s; go-libp2p uses 1 s. Meshes form and heal within seconds.
    heartbeat_interval: int = 1
    # Default spam limit: 10 msg/s per peer per topic, own publishes included, silently dropped
    # beyond. A guardian sends a heartbeat every 5 s and a handful of messages per incident; 16
    # guardians relaying each other's shares in a burst stay far below 200/s.
    max_messages_per_topic_per_second: float = 200.0
    # Outbound RPC queue per peer (library: 32, halved by IDONTWANT) and our own inbound channel.
    outbound_queue_size: int = 512
    subscription_buffer: int = 1024
    inbound_buffer: int = 1024
    # Redial lost bootstrap peers with exponential backoff between these bounds (seconds).
    redial_min_seconds: float = 0.5
    redial_max_seconds: float = 15.0
    # All devnet guardians share one IP; the guardian set, not IP diversity, is our sybil defence.
    eclipse_protection: bool = False
