"""Copies of one message from one peer: a flood of valid duplicates, charged to the peer.

GossipSub sends a message to a peer once; an honest guardian sends one of its own again only to
re-gossip it (30 s after, then at doubling intervals) or after a restart. A member that hands us
the same message more than `limit` times within `window` seconds is flooding: the seen cache
drops the copies cheaply, but until now nothing named the sender (the fault suite's flood
scenario: a Byzantine guardian re-sending its messages below the rate limit went unblamed)."""

from __future__ import annotations

import time
from collections import OrderedDict


class CopyCounter:
    def __init__(self, limit: int = 5, window: float = 60.0, capacity: int = 8192,
                 clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[tuple[str, bytes], tuple[float, int]] = OrderedDict()

    def note(self, peer: str, msg_id: bytes) -> int:
        """Count one copy; returns the copies so far when this one is an offence (the
        (limit+1)th, then every `limit` more), else 0."""
        now = self.clock()
        first, count = self._seen.get((peer, msg_id), (now, 0))
        if now - first > self.window:
            first, count = now, 0
        count += 1
        self._seen[(peer, msg_id)] = (first, count)
        self._seen.move_to_end((peer, msg_id))
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return count if count > self.limit and (count - self.limit) % self.limit == 1 else 0

    def offence(self, peer: str, msg_id: bytes) -> str:
        """`note`, as the offence text to charge the peer with ("" when it is no offence)."""
        count = self.note(peer, msg_id)
        return (f"sent one message {count} times within {self.window:.0f}s (a flood of "
                "duplicates)") if count else ""
