"""The table `scripts/bench e2e` prints (node.bench.e2e_pending measures)."""

from __future__ import annotations

from rich.table import Table

from node.bench.output import table_console


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
