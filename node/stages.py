"""Stage times of each incident on this node, on the wall clock (unix seconds, so that the times
of guardians on one machine, or on NTP-synchronised machines, line up): when the pending
transaction behind it arrived, when its simulation started and ended, the verdict, this node's own
share, the t-th valid share, the combination and the `authorize` broadcast. `/status` reports them
(`stages`); `scripts/bench e2e` and the devnet summary turn them into the race's stage table.

Each stage keeps its first time; the clock holds the latest MAX_INCIDENTS incidents (a flood of
incidents cannot grow it)."""

from __future__ import annotations

import statistics
import time
from collections import OrderedDict

MAX_INCIDENTS = 64
# In the order an incident goes through them on the pending path.
STAGES = ("pending_arrived", "simulation_started", "simulated", "verdict", "own_share",
          "threshold_shares", "combined", "authorize_sent")


class StageClock:
    def __init__(self, limit: int = MAX_INCIDENTS) -> None:
        self.limit = limit
        self._times: OrderedDict[bytes, dict[str, float]] = OrderedDict()

    def mark(self, incident: bytes, stage: str, at: float | None = None) -> None:
        """Record `stage` of `incident` at `at` (unix seconds; now by default), unless recorded."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        times = self._times.get(incident)
        if times is None:
            times = self._times[incident] = {}
            while len(self._times) > self.limit:
                self._times.popitem(last=False)
        times.setdefault(stage, round(time.time() if at is None else at, 4))

    def since(self, incident: bytes) -> dict[str, float]:
        return dict(self._times.get(incident, {}))

    def as_dict(self) -> dict[str, dict[str, float]]:
        """{incident id hex: {stage: unix seconds}} for `/status`."""
        return {incident.hex(): dict(times) for incident, times in self._times.items()}


def unix_of(monotonic_at: float, monotonic_now: float) -> float:
    """A time on a monotonic clock (trio's) as unix seconds."""
    return time.time() - (monotonic_now - monotonic_at)


def stage_table(runs: list[dict[str, float]], origin: str = "broadcast") -> dict[str, dict]:
    """p50/p90 in milliseconds of each stage after `origin`, over runs of {stage: unix seconds}
    (each run: the network's earliest time of each stage, and the origin's time)."""
    out: dict[str, dict] = {}
    for stage in STAGES:
        deltas = sorted((run[stage] - run[origin]) * 1000 for run in runs
                        if stage in run and origin in run)
        if deltas:
            out[stage] = {"runs": len(deltas), "p50_ms": round(statistics.median(deltas), 1),
                          "p90_ms": round(_pick(deltas, 0.9), 1)}
    return out


def run_stages(statuses, incident: bytes, sent_unix: float) -> dict[str, float]:
    """One race's stage times (unix seconds) from the guardians' `/status` documents (None for
    one that did not answer): the first guardian to reach each stage, and the exploit's
    broadcast. (Inclusion is "same block" in the bench's table: anvil's block timestamps are
    whole seconds, too coarse here.)"""
    per_guardian = [((doc or {}).get("stages") or {}).get(incident.hex()) or {}
                    for doc in statuses]
    return {**earliest(per_guardian), "broadcast": sent_unix}


def after(run: dict[str, float]) -> dict[str, float]:
    """A run's stages in ms after the broadcast (the devnet summary's line)."""
    return {stage: round((at - run["broadcast"]) * 1000, 1) for stage, at in run.items()
            if stage != "broadcast"}


def earliest(per_guardian: list[dict[str, float]]) -> dict[str, float]:
    """The network's time of each stage: the first guardian to reach it (the critical path)."""
    out: dict[str, float] = {}
    for times in per_guardian:
        for stage, at in times.items():
            if isinstance(at, int | float) and stage in STAGES:
                out[stage] = min(out.get(stage, at), at)
    return out


def _pick(values: list[float], q: float) -> float:
    """The nearest-rank quantile `q` of sorted `values`."""
    return values[min(len(values) - 1, max(0, -(-int(q * 100) * len(values) // 100) - 1))]
