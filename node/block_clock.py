"""The chain's block time as the node sees it, for the pending simulation's next-block timestamp.

`[pending] block_seconds` defaults to 12; an operator on a 2 s chain who does not set it would
simulate every pending transaction 12 s in the future. The node reads the block time from the
heads it sees instead: once the last few heads agree on one interval, that interval is used, and
a configured value that disagrees is reported once (the configured value is used until then).
"""

from __future__ import annotations

import logging

log = logging.getLogger("guardian.pending")

# Consecutive per-block intervals that must agree before the chain's block time is trusted.
AGREEING_INTERVALS = 4


class BlockClock:
    def __init__(self, configured_seconds: float) -> None:
        self.configured = configured_seconds
        self._last: tuple[int, int] | None = None  # (number, timestamp) of the latest head seen
        self._intervals: list[float] = []
        self._warned = False

    def observe(self, number: int, timestamp: int) -> None:
        """Note a head; heads seen twice, out of order or with a timestamp going back are ignored."""
        if self._last is not None:
            last_number, last_time = self._last
            if number <= last_number or timestamp < last_time:
                return
            self._intervals.append((timestamp - last_time) / (number - last_number))
            del self._intervals[:-AGREEING_INTERVALS]
        self._last = (number, timestamp)

    def observed(self) -> float | None:
        """The chain's block time once the last AGREEING_INTERVALS intervals agree, else None."""
        if len(self._intervals) < AGREEING_INTERVALS:
            return None
        first = self._intervals[0]
        if first <= 0 or any(abs(i - first) > 1e-9 for i in self._intervals):
            return None
        return first

    def seconds(self) -> int:
        """Seconds from a head to the next block's timestamp: the chain's own, when known."""
        chain = self.observed()
        if chain is not None and abs(chain - self.configured) > 0.5 and not self._warned:
            self._warned = True
            log.warning("[pending] block_seconds is %s but the chain makes a block every %s s: "
                        "simulating with the chain's (set block_seconds = %s to silence this)",
                        self.configured, chain, chain)
        return max(1, round(chain if chain is not None else self.configured))
