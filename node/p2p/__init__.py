"""The node's libp2p side: a Noise + Yamux host with GossipSub, hardened against the defects of
py-libp2p 0.8.1 listed in TOOLCHAIN.md. No other module imports libp2p."""

from node.p2p.config import P2PConfig
from node.p2p.service import P2PService

__all__ = ["P2PConfig", "P2PService"]
