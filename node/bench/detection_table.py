"""The confusion table of `scripts/bench detection`: one row per corpus class, the before and the
after column side by side, then the totals (precision, recall, funds saved, users frozen)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from node.bench.output import table_console
from node.corpus.chain import E18


def cell(row: dict | None) -> str:
    """One class in one column, e.g. `PAUSE before, saved 100%` or `no`."""
    if row is None:
        return ""
    if row.get("error"):
        return "driver error"
    effect = row.get("effect") or {}
    exploit = row["verdict"] == "exploit"
    if not row["contained"]:
        text = "no"
    else:
        text = f"{row['action']} {row['when']}"
        if not exploit and row["action"] == "CIRCUIT_BREAKER":
            text = f"FALSE {text} (rate limit), {row.get('queued_outflows', 0)} withdrawals queued"
        elif not exploit:
            text = f"FALSE {text}, frozen {row.get('frozen_seconds', 0) / 60:.0f} min"
    if exploit and effect:
        text += f", saved {effect['saved_fraction']:.0%}"
    if row.get("evidence"):  # kind x how many guardians detected it
        text += " [" + ",".join(f"{k} x{n}" for k, n in row["evidence"].items()) + "]"
    return text


def print_table(columns: list[dict]) -> None:
    table = Table(title="Detection corpus: contained? (action, before/after the harmful tx, funds "
                        "saved, evidence)")
    table.add_column("class")
    table.add_column("verdict")
    for col in columns:
        table.add_column(f"{col['column']} ({col['commit']})")
    names = [r["class"] for r in columns[0]["rows"]] if columns else []
    by_col = [{r["class"]: r for r in col["rows"]} for col in columns]
    for name in names:
        verdict = by_col[0][name]["verdict"]
        table.add_row(name, verdict, *(escape(cell(rows.get(name))) for rows in by_col))
    for key, title in (("true_positives", "exploits contained"),
                       ("contained_before_harmful", "  before the harmful tx"),
                       ("false_positives", "benign contained (false)"),
                       ("precision", "precision"), ("recall", "recall"),
                       ("saved_fraction", "funds saved"),
                       ("frozen_seconds_benign", "users frozen (s, benign)"),
                       ("benign_rate_limited", "benign rate-limited (breaker)"),
                       ("queued_outflows_benign", "  withdrawals queued")):
        values = []
        for col in columns:
            value = col["totals"].get(key)
            if key == "saved_fraction" and value is not None:
                t = col["totals"]
                value = (f"{value:.0%} ({(t['funds_at_risk'] - t['funds_lost']) / E18:,.0f} of "
                         f"{t['funds_at_risk'] / E18:,.0f})")
            values.append("" if value is None else str(value))
        table.add_row(title, "", *values)
    table_console().print(table)
