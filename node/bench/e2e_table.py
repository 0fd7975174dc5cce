"""The table `scripts/bench e2e` prints (node.bench.e2e_pending measures)."""

from __future__ import annotations

from rich.table import Table

from node.bench.output import table_console
from node.stages import STAGES


def print_table(rows: list[dict]) -> None:
    table = Table(title="One-transaction exploit, broadcast at a uniformly random moment of the "
                        "block (guardians as processes)")
    cols = [("guardians", "N"), ("threshold", "t"), ("block_seconds", "block s"),
            ("runs", "runs"), ("same_block", "same block"), ("same_block_rate", "rate"),
            ("saved_fraction_mean", "saved (mean)"),
            ("latency_s_median", "broadcast->containment sent s (median)"),
            ("latency_s_p90", "p90"), ("late_offsets_s", "offsets of the misses s")]
    for _, title in cols:
        table.add_column(title, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(table)


def print_stage_table(rows: list[dict]) -> None:
    """Each stage's time after the exploit's broadcast, p50 / p90 in ms, per (N, block time):
    the first guardian to reach it, so the column is the network's critical path."""
    table = Table(title="Stages after the exploit's broadcast, ms p50/p90 (first guardian)")
    table.add_column("N", justify="right")
    table.add_column("block s", justify="right")
    stages = list(STAGES)
    for stage in stages:
        table.add_column(stage.replace("_", " "), justify="right")
    for r in rows:
        cells = r.get("stages_ms") or {}
        table.add_row(str(r.get("guardians")), str(r.get("block_seconds")),
                      *(f"{cells[s]['p50_ms']:.0f}/{cells[s]['p90_ms']:.0f}" if s in cells else "-"
                        for s in stages))
    table_console().print(table)
