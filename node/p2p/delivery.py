"""Delivery of what peers send us, by gossip or over a direct link (node.p2p.direct), into the
service's one inbound channel: each message once (by its content-addressed id), in arrival order.
A mixin of `P2PService`, which owns the state it uses: `_delivered`, `_link_only`, `_inbound_send`,
`stats`, `ledger`, `link_validator`, and the checks `_admit_bytes` (node.p2p.policy) and
`_judge`."""

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
        validation, and forwarded). The link validator, if any, judges first what the link
        itself authenticates (`protocol.gossip_rules`); a gossip copy of such a message is
        validated in full before it is forwarded."""
        if not self._admit_bytes(peer, data):
            return  # admission first: a flood of copies is rate limited and charged
        mid = message_id(data)
        if mid in self._delivered:
            return
        linked = self._link_judge(peer, data)
        if linked:
            self._link_only[mid] = None
            if len(self._link_only) > DELIVERED_KEPT:
                self._link_only.pop(next(iter(self._link_only)))
        if linked or (linked is None and self._judge_safely(peer, data)):
            await self._deliver(peer, data, mid)  # as on the topic: a raising validator drops it

    def _link_judge(self, peer: str, data: bytes) -> bool | None:
        """The link validator's verdict on a member's frame, with its charges; None when it has
        none (not a message the link authenticates, or it raised): the full rules decide."""
        if self.link_validator is None:
            return None
        try:
            result = self.link_validator(peer, data)
            return None if result is None else self._judge(peer, data, result)
        except Exception:  # noqa: BLE001 - the validator must never crash the link
            log.exception("p2p: the link validator raised; judging the frame in full")
            return None

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
