"""The head relay: every head the subscription delivers reaches the incident path at once, and
the watch loop when it is ready for one.

    HeadWatcher ──> relay ──> on_tip(number)      (gossip "future" rule, report re-verification,
                      │                            deferred reports: never behind the watch loop)
                      └──> watch loop channel     (dropped while the loop is busy, as before:
                                                   the next head covers it)

Under load the watch loop lagged 60 blocks behind the chain (a few blocks scanned per 2 s head).
Its head was the only head the rest of the node knew, so every peer's report about a pending
transaction (evidence at the real head + 1) was dropped by the gossip rules as "from the
future", and a report that got through waited 15 s for the watch loop before being deferred:
the guardians each signed only their own detection and no digest reached t shares (issue 24).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio

from node.records import BlockHeader

log = logging.getLogger("guardian.daemon")


async def relay_heads(source: trio.MemoryReceiveChannel[BlockHeader],
                      watch_loop: trio.MemorySendChannel[BlockHeader],
                      on_tip: Callable[[int], Awaitable[None]]) -> None:
    """Hand each head to `on_tip` first, then to the watch loop without waiting for it."""
    async for header in source:
        await on_tip(header.number)
        try:
            watch_loop.send_nowait(header)
        except trio.WouldBlock:
            log.debug("watch loop busy; head %d will be covered by the next one", header.number)
