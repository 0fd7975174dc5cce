"""The key ceremony's transport: a GossipSub topic of its own on the same hardened host as the
incident gossip (`P2PService`), so a ceremony gets every guard the guardians' network has:

- membership: the connection gate admits only the peer ids the ceremony file names (outsiders
  are refused after the Noise handshake, before they can open a stream);
- the stream boundary guards of `node.p2p.guards` (a peer's exception ends its stream, never
  the node), Noise only, no auto-dial, bounded inbound slots;
- per-peer rate limits and penalties (`node.p2p.peers`), REJECTs charged to the forwarder,
  REJECTed message ids remembered as seen;
- flood publishing: our own messages go to every connected member, not only the mesh
  (`node.p2p.router`), so a member that just (re)joined hears them at the next rebroadcast;
- a size limit: a message larger than `max_message_bytes` is REJECTed before the application's
  validator looks at it, and a pubsub RPC frame larger than the limit plus framing is dropped by
  the library;
- a duplicate limit of the ceremony's own: a participant re-publishes its messages on a backoff
  schedule (`node.dkg.rebroadcast`) and relays the others' while it lingers, so a peer may hand
  us one message a known number of times per window. The runner gives that bound
  (`duplicate_limit`); only copies beyond it are charged as a flood of duplicates.

The topic names the ceremony id, so two ceremonies (or a ceremony and the incident gossip) never
share a topic: a message of another ceremony is not even subscribed to.
"""

from __future__ import annotations

from dataclasses import replace

from node.p2p.config import P2PConfig
from node.p2p.copies import CopyCounter
from node.p2p.peers import PeerLimits
from node.p2p.service import P2PService

CEREMONY_TOPIC_PREFIX = "guardian-network/v1/dkg/"
RPC_FRAMING_BYTES = 4096  # protobuf envelope, signature, key, topic around one message


def ceremony_topic(ceremony_id: bytes) -> str:
    return CEREMONY_TOPIC_PREFIX + ceremony_id.hex()


def ceremony_config(ceremony_id: bytes, *, members: tuple[str, ...], listen: str,
                    bootstrap: tuple[str, ...], max_message_bytes: int,
                    limits: PeerLimits | None = None) -> P2PConfig:
    """Settings for a ceremony host. Members are every peer id in the ceremony file (dealers and
    recipients); nobody else may connect."""
    if not members:
        raise ValueError("a ceremony needs the members' peer ids")
    return P2PConfig(listen=listen, bootstrap=tuple(bootstrap), topic=ceremony_topic(ceremony_id),
                     members=tuple(members), outsiders="deny",
                     limits=limits or PeerLimits(),
                     max_rpc_bytes=max_message_bytes + RPC_FRAMING_BYTES,
                     redial_min_seconds=0.3, redial_max_seconds=5.0, flood_publish=True)


def topic_peer_count(service: P2PService) -> int:
    """How many peers we know to be subscribed to the ceremony's topic: the ones our publishes
    reach. A connected peer counts only once its subscription arrived, which is when re-sending
    to it helps."""
    pubsub = getattr(service, "_pubsub", None)
    if pubsub is None:
        return 0
    return len(pubsub.peer_topics.get(service.config.topic, ()))


def size_limited(validator, max_message_bytes: int):
    """REJECT (charged to the forwarder) any message over the size limit, before `validator`."""
    def validate(peer: str, data: bytes):
        if len(data) > max_message_bytes:
            return "REJECT", f"ceremony message of {len(data)} bytes over the " \
                             f"{max_message_bytes}-byte limit"
        return validator(peer, data)
    return validate


def ceremony_service(config: P2PConfig, identity_key: bytes, validator,
                     max_message_bytes: int, *, duplicate_limit: int | None = None,
                     duplicate_window: float = 60.0) -> P2PService:
    """A `P2PService` on the ceremony's topic; `validator(peer, data)` returns a verdict
    (ACCEPT, IGNORE or REJECT, optionally with a reason) and must not raise (it is wrapped).
    `duplicate_limit`: the copies of one message one peer may send within `duplicate_window`
    seconds before it is charged (default: the node's)."""
    config = replace(config, max_rpc_bytes=max(config.max_rpc_bytes,
                                                max_message_bytes + RPC_FRAMING_BYTES))
    service = P2PService(config, identity_key, size_limited(validator, max_message_bytes))
    if duplicate_limit is not None:
        if duplicate_limit < 1:
            raise ValueError("duplicate_limit must be at least 1")
        service.ledger.copies = CopyCounter(limit=duplicate_limit, window=duplicate_window)
    return service
