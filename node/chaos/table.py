"""The results table `scripts/chaos` prints."""

from __future__ import annotations

from rich.table import Table

from node.chaos.outcome import Outcome


def _containment(o: Outcome) -> str:
    if not o.contained:
        return "no"
    if o.blocks_to_containment is None:
        return "yes"
    return f"yes: {o.blocks_to_containment} blk / {o.seconds_to_containment}s"


def results_table(outcomes: list[Outcome], title: str) -> Table:
    table = Table(title=title, show_lines=True)
    for name in ("scenario", "expected", "observed", "contained (blocks / s)", "authorize "
                 "reverted/sent", "blamed", "crashes", "lost / double-signed shares", "ok"):
        table.add_column(name, overflow="fold")
    for o in outcomes:
        table.add_row(o.scenario, o.expected, o.observed + (f" [{o.error}]" if o.error else ""),
                      _containment(o), f"{o.authorize_reverted}/{o.authorize_sent}",
                      ", ".join(map(str, o.blamed)) or "-", str(o.crashes),
                      f"{o.lost_shares} / {o.double_signed}",
                      "[green]PASS[/]" if o.ok else "[red]FAIL[/]")
    return table
