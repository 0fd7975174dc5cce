"""Who misbehaved, as this node saw it: the guardians it blames and why, for `/status` and logs.

Blame is only ever put on a guardian whose identity the node has checked, never on the index a
message merely claims:

- a message the gossip validator REJECTs is charged to the libp2p peer that handed it to us (the
  Noise handshake authenticates it, and honest guardians never forward a rejected message), mapped
  to its guardian index through the guardian set's peer ids;
- a second, different report for one incident (equivocation) is charged to the guardian whose
  signature is on both, checked before blaming;
- a report that fails re-verification against our own chain (a false report) is charged to the
  guardian that signed it (the validator checked the signature);
- a live guardian that has not sent a share for an incident we combined `SILENCE_SECONDS` ago is
  listed as silent (withholding, or slow: a hint, not proof).

State is bounded: at most MAX_REASONS reasons per guardian, guardians are those of the set, and
log lines are rate limited per guardian.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

log = logging.getLogger("guardian.attribution")

MAX_REASONS = 8
LOG_INTERVAL_SECONDS = 10.0
SILENCE_SECONDS = 10.0


class BlameLedger:
    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._reasons: dict[int, Counter] = {}
        self._logged_at: dict[int, float] = {}

    def blame(self, guardian: int, reason: str, detail: str = "") -> None:
        reasons = self._reasons.setdefault(guardian, Counter())
        if reason in reasons or len(reasons) < MAX_REASONS:
            reasons[reason] += 1
        else:
            reasons["other"] += 1
        now = self.clock()
        if now - self._logged_at.get(guardian, -LOG_INTERVAL_SECONDS) >= LOG_INTERVAL_SECONDS:
            self._logged_at[guardian] = now
            log.warning("blaming guardian %d: %s%s (%d offence(s) so far)", guardian, reason,
                        f": {detail[:160]}" if detail else "", sum(reasons.values()))

    def blamed(self) -> dict[str, dict[str, int]]:
        """guardian index (a string: JSON keys) -> reason -> count."""
        return {str(g): dict(r) for g, r in sorted(self._reasons.items())}

    def guardians(self) -> list[int]:
        return sorted(self._reasons)


def silent_guardians(signers_by_incident: dict[str, tuple[float, set[int]]], live: list[int],
                     now: float, silence: float = SILENCE_SECONDS) -> dict[str, list[int]]:
    """incident -> live guardians with no share for it, for incidents combined `silence` seconds
    ago or more (`signers_by_incident`: incident -> (when combined, guardians whose share we
    hold))."""
    out = {}
    for incident, (combined_at, signers) in signers_by_incident.items():
        if now - combined_at >= silence:
            missing = sorted(set(live) - signers)
            if missing:
                out[incident] = missing
    return out
