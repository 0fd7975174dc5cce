"""Run scenarios one after another, each on a fresh devnet, and collect their outcomes."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from node.chaos.outcome import Outcome
from node.chaos.scenario import Context, Scenario, timed


def run_scenarios(scenarios: list[Scenario], *, guardians: int, threshold: int, run_root: Path,
                  quick: bool = False, keep: bool = False,
                  say: Callable[[str], None] = print) -> list[Outcome]:
    outcomes = []
    for scenario in scenarios:
        run_dir = run_root / scenario.name
        if run_dir.exists():
            shutil.rmtree(run_dir)
        ctx = Context(guardians, threshold, run_dir, say=lambda _: None, quick=quick)
        out = Outcome(scenario.name, scenario.expected)
        say(f"[{time.strftime('%H:%M:%S')}] {scenario.name}: {scenario.expected}")
        timed(lambda s=scenario, o=out, c=ctx: s.run(c, o), out)
        say(f"[{time.strftime('%H:%M:%S')}] {scenario.name}: "
            f"{'PASS' if out.ok else 'FAIL'} ({out.wall_seconds:.0f}s) {out.observed}"
            + (f" error: {out.error}" if out.error else ""))
        if out.ok and not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            out.notes.append(f"logs in {run_dir / 'logs'}")
        outcomes.append(out)
    return outcomes
