"""Every scenario of the fault suite, in the order `scripts/chaos` runs them."""

from __future__ import annotations

from node.chaos import byzantine, chain_faults, network_faults, process_faults
from node.chaos.scenario import Scenario

SCENARIOS: list[Scenario] = [*byzantine.SCENARIOS, *chain_faults.SCENARIOS,
                             *network_faults.SCENARIOS, *process_faults.SCENARIOS]


def by_name(names: list[str] | None) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known and not any(
        s.family == n for s in SCENARIOS)]
    if unknown:
        raise KeyError(f"unknown scenario(s) {', '.join(unknown)}; known: "
                       f"{', '.join(known)} (or a family: "
                       f"{', '.join(sorted({s.family for s in SCENARIOS}))})")
    return [s for s in SCENARIOS if s.name in names or s.family in names]
