"""A skewed wall clock for the fault suite's clock-skew scenario (test-only: node.byzantine.gate).

Every wall-clock read of the node goes through `time.time()` (heartbeat timestamps, gossip
validation's "now", the store's timestamps); monotonic time (trio, timeouts) is left alone, as a
real skewed clock would leave it."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("guardian.byzantine")


def skew_wall_clock(seconds: float) -> None:
    real = time.time
    time.time = lambda: real() + seconds
    log.warning("TEST MODE: this guardian's wall clock is %+.1fs off", seconds)
