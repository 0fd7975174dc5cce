"""Delivery of what peers send us, by gossip or over a direct link (node.p2p.direct), into the
service's one inbound channel: each message once (by its content-addressed id), in arrival order.
A mixin of `P2PService`, which owns the state it uses: `_delivered`, `_inbound_send`, `stats`,
`ledger`, and the checks `_admit_bytes` (node.p2p.policy) and `_validate`."""

from __future__ import annotations

import logging

import trio
from libp2p.peer.id import ID

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
        if not self._admit_bytes(peer, data):
            return  # admission first: a flood of copies is rate limited and charged
        mid = message_id(data)
        if mid in self._delivered:
            return
        if self._judge_safely(peer, data):  # as on the topic: a raising validator drops it
            await self._deliver(peer, data, mid)

    async def _deliver(self, sender: str, data: bytes, mid: bytes | None = None) -> None:
        mid = message_id(data) if mid is None else mid
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
