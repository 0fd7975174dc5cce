"""Routing cover messages on the guardians' one gossip topic.

The p2p service has one validator and one inbound channel. `route_validator` sends BreachShare
bytes (protocol.cover_wire) to the cover service's rules and everything else to the incident
intake's; `split_inbound` forwards accepted BreachShares to the cover service and the rest to the
intake. Neither decoder accepts the other's messages, so a message cannot be both.
"""

from __future__ import annotations

import trio

from protocol.cover_wire import is_breach_share


def route_validator(incident_validate, cover):
    def validate(peer_id: str, data: bytes):
        if cover is not None and is_breach_share(data):
            return cover.validate(peer_id, data)
        return incident_validate(peer_id, data)
    return validate


def split_inbound(inbound, cover, nursery: trio.Nursery):
    """The intake's inbound channel: the p2p inbound without the BreachShares (to `cover`)."""
    if cover is None:
        return inbound
    send, recv = trio.open_memory_channel(64)

    async def pump() -> None:
        async with send:
            async for peer, data in inbound:
                if is_breach_share(data):
                    await cover.on_share(data)
                else:
                    await send.send((peer, data))
    nursery.start_soon(pump)
    return recv
