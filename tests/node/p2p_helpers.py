"""What the p2p test modules share: a validator's verdicts and a wait for library state."""

from __future__ import annotations

import enum

import trio


class V(enum.Enum):
    """Verdicts as the p2p layer reads them (by name), like `protocol.gossip_rules.Verdict`."""

    ACCEPT = 1
    IGNORE = 2
    REJECT = 3


async def until(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    """Wait for library state that has no event of its own (`what` names it in the failure)."""
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.05)
