"""The attack scenarios `guardian devnet attack --scenario` offers: names, pace and what each
does. A module of its own (no chain or network imports) so that `guardian --help` stays fast."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    gap_blocks: int
    max_steps: int
    what: str


SCENARIOS = {s.name: s for s in (
    Scenario("drain", 1, 12, "one attack transaction per block (100,000 USDd each) until stopped"),
    Scenario("paced", 3, 8, "one attack transaction every 3 blocks: a slower multi-transaction "
                            "drain"),
    Scenario("single", 1, 1, "a single attack transaction"),
)}
