"""Delivery of what peers send us, by gossip or over a direct link (node.p2p.direct), into the
service's one inbound channel: each message once (by its content-addressed id), in arrival order.
A mixin of `P2PService`, which owns the state it uses: `_delivered`, `_inbound_send`, `stats`,
`ledger`, and the checks `_admit_bytes` (node.p2p.policy) and `_validate`."""

from __future__ import annotations

import logging

import trio
from libp2p.peer.id import ID

from node.p2p.guards import never_raising
from protocol.gossip_rules import message_id

log = logging.getLogger("guardian.p2p")
DELIVERED_KEPT = 8192


class Delivery:
    async def _drain(self, subscription) -> None:
        """Move accepted messages off the library's bounded subscription promptly (defect 9)."""
        while True:
            msg = await subscription.get()
            try:
                sender = ID(msg.from_id).to_base58()
            except Exception:  # noqa: BLE001 - the library checked the signature already
                sender = "?"
            await self._deliver(sender, bytes(msg.data))

    def _direct_member(self, peer: str) -> bool:
        return self.ledger.is_member(peer) and not self.ledger.is_banned(peer)

    async def _direct_in(self, peer: str, data: bytes) -> None:
        """A frame from a member's direct link: what a gossip message goes through, then the
        same delivery (a copy that also comes by gossip is then accepted without a second
        validation, and forwarded)."""
        if not self._admit_bytes(peer, data) or message_id(data) in self._delivered:
            return  # admission first: a flood of copies is rate limited and charged
        if never_raising(self._validate)(peer, _Frame(data)):  # as on the topic
            await self._deliver(peer, data)

    async def _deliver(self, sender: str, data: bytes) -> None:
        mid = message_id(data)
        if mid in self._delivered:  # defect 5: async validation may deliver twice
            return
        self._delivered[mid] = None
        if len(self._delivered) > DELIVERED_KEPT:
            self._delivered.pop(next(iter(self._delivered)))
        self.stats["in"] += 1
        try:
            self._inbound_send.send_nowait((sender, data))
        except trio.WouldBlock:
            log.warning("p2p: inbound queue full; the application is not keeping up")
            await self._inbound_send.send((sender, data))


class _Frame:
    """A direct frame in the shape `_validate` reads (a pubsub message's `data`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
