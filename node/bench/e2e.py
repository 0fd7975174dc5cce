"""The end-to-end section of `scripts/bench`: for N guardians as OS processes, run the devnet
exploit scenario several times and report how fast and how cheaply it is contained."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from node.bench.output import table_console
from node.devnet.runner import DevnetOptions, run_devnet


def _threshold(n: int) -> int:
    return n * 2 // 3 + 1


def run_e2e_bench(sizes: list[int], runs: int = 3) -> list[dict]:
    rows = []
    quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115 - the bench prints its own table
    for n in sizes:
        samples = []
        for run in range(runs):
            with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
                code, summary = run_devnet(DevnetOptions(guardians=n, threshold=_threshold(n),
                                                         run_dir=Path(tmp) / "run", live=False),
                                           console=quiet)
            print(f"  N={n} run {run + 1}/{runs}: "
                  f"{'contained' if code == 0 else 'NOT contained'}", flush=True)
            if code == 0:
                samples.append(summary)
        rows.append(_row(n, runs, samples))
    return rows


def _row(n: int, runs: int, samples: list[dict]) -> dict:
    if not samples:
        return {"guardians": n, "threshold": _threshold(n), "runs": runs, "contained": 0}

    def col(key):
        return [s[key] for s in samples if s.get(key) is not None]

    latency = col("seconds_from_attack_broadcast_to_containment")
    procs = [p for s in samples for p in (s.get("processes") or {}).values() if p]
    wall = statistics.median(col("wall_seconds"))
    return {
        "guardians": n, "threshold": _threshold(n), "runs": runs, "contained": len(samples),
        "attack_to_containment_s_median": round(statistics.median(latency), 2),
        "attack_to_containment_s_worst": round(max(latency), 2),
        "blocks_to_containment_median": statistics.median(col("blocks_to_containment")),
        "detection_to_submission_s_median": round(statistics.median(
            col("detection_to_submission_s")), 3) if col("detection_to_submission_s") else None,
        "gossip_p50_ms": round(statistics.median(col("gossip_p50_ms")), 1)
        if col("gossip_p50_ms") else None,
        "gossip_p99_ms": round(max(col("gossip_p99_ms")), 1) if col("gossip_p99_ms") else None,
        "cpu_percent_per_guardian": round(100 * statistics.median(
            p["cpu_seconds"] for p in procs) / wall, 1) if procs else None,
        "rss_mb_per_guardian": round(statistics.median(p["rss_mb"] for p in procs), 1)
        if procs else None,
        "containment_gas": statistics.median(col("containment_gas")),
        "saved_fraction_median": statistics.median(col("saved_fraction")),
    }


def print_table(rows: list[dict]) -> None:
    table = Table(title="End to end (guardians as processes, anvil 1 s blocks)")
    cols = [("guardians", "N"), ("threshold", "t"), ("contained", "contained"),
            ("attack_to_containment_s_median", "attack->contained s (median)"),
            ("attack_to_containment_s_worst", "worst"),
            ("detection_to_submission_s_median", "detect->submit s"),
            ("gossip_p50_ms", "gossip p50 ms"), ("gossip_p99_ms", "p99 ms"),
            ("cpu_percent_per_guardian", "CPU %/guardian"),
            ("rss_mb_per_guardian", "RSS MB/guardian"), ("containment_gas", "gas")]
    for _, title in cols:
        table.add_column(title, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(table)
