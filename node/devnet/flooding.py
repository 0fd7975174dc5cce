"""Outsider flooders for the devnet and `scripts/bench flood`: OS processes running
`node.bench.flooder` against every guardian, stopped after the attack with their reports read."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from node.devnet.processes import ManagedProcess, ProcessGroup


def start_flooders(group: ProcessGroup, count: int, targets: list[str],
                   run_dir: Path) -> list[tuple[ManagedProcess, Path]]:
    out = []
    for i in range(1, count + 1):
        report = run_dir / f"flooder-{i}.json"
        argv = [sys.executable, "-m", "node.bench.flooder", "--report", str(report)]
        for addr in targets:
            argv += ["--target", addr]
        out.append((group.spawn(f"flooder-{i}", argv, run_dir / "logs" / f"flooder-{i}.log"),
                    report))
    return out


def stop_flooders(flooders: list[tuple[ManagedProcess, Path]]) -> dict:
    """SIGTERM each flooder, wait for it, and add up what they reported."""
    totals: dict = {"flooders": len(flooders)}
    for proc, _ in flooders:
        proc.signal(signal.SIGTERM)
    for proc, report in flooders:
        if proc.process is not None:
            try:
                proc.process.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck flooder is killed with the group
                proc.kill()
        try:
            doc = json.loads(report.read_text())
        except (OSError, ValueError):
            continue
        for key, value in doc.items():
            if isinstance(value, (int, float)):
                totals[key] = totals.get(key, 0) + value
    return totals
