"""The devnet's live terminal view and its final summary (rich).

`DevnetState` is plain data the runner updates; `render` draws it. With no terminal (CI, a pipe)
the runner prints the same events as lines instead of a live view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


@dataclass
class GuardianRow:
    index: int
    status: str = "starting"
    peers: int = 0
    mesh: int = 0
    head: int = 0
    live: int = 0
    signed: bool = False
    submitted: bool = False


@dataclass
class DevnetState:
    guardians: int
    threshold: int
    run_dir: str
    rows: dict[int, GuardianRow] = field(default_factory=dict)
    head: int = 0
    phase: str = "starting"
    events: list[str] = field(default_factory=list)
    attack_txs: list[tuple[int, str, bool]] = field(default_factory=list)  # block, hash, ok
    shares_seen: int = 0
    containment: dict | None = None
    started: float = field(default_factory=time.monotonic)
    status_urls: dict[int, str] = field(default_factory=dict)
    submitter_status: dict | None = None
    exploit: str | None = None  # the one-transaction exploit's outcome and the funds saved

    def event(self, text: str) -> str:
        stamp = f"{time.monotonic() - self.started:6.1f}s"
        line = f"[{stamp}] {text}"
        self.events.append(line)
        del self.events[:-12]
        return line


def render(state: DevnetState) -> Panel:
    table = Table(expand=True, box=None)
    for column in ("guardian", "status", "peers", "mesh", "hears", "head", "combined", "submitted"):
        table.add_column(column)
    for index in sorted(state.rows):
        row = state.rows[index]
        table.add_row(str(index), row.status, str(row.peers), str(row.mesh), str(row.live),
                      str(row.head),
                      "yes" if row.signed else "", "yes" if row.submitted else "")
    summary = Text()
    summary.append(f"phase: {state.phase}   chain head: {state.head}   ")
    summary.append(f"combined t={state.threshold} shares: {state.shares_seen} guardians   ")
    summary.append(f"attack txs: {len(state.attack_txs)}")
    if state.containment:
        summary.append(f"   CONTAINED in block {state.containment['block']}", style="bold green")
    if state.exploit:
        summary.append(f"\nexploit: {state.exploit}",
                       style="bold green" if "saved 100%" in state.exploit else "bold red")
    events = Text("\n".join(state.events))
    return Panel(Group(summary, table, Text(""), events),
                 title=f"Guardian Network devnet: {state.guardians} guardians, threshold "
                       f"{state.threshold}", subtitle=f"logs: {state.run_dir}")


def summary_table(summary: dict) -> Table:
    table = Table(title="Devnet summary", show_header=False)
    table.add_column("what")
    table.add_column("value")
    for key, value in summary.items():
        if key in ("processes", "saved_fraction"):
            continue  # in summary.json; too wide for the table
        if key == "stages_ms_after_broadcast" and isinstance(value, dict):
            value = ", ".join(f"{stage.replace('_', ' ')} {ms:.0f}" for stage, ms in value.items())
        table.add_row(key.replace("_", " "), str(value))
    procs = [p for p in (summary.get("processes") or {}).values() if p]
    if procs:
        cpu = sorted(p["cpu_seconds"] for p in procs)[len(procs) // 2]
        rss = sorted(p["rss_mb"] for p in procs)[len(procs) // 2]
        table.add_row("per guardian (median)", f"{cpu} s CPU, {rss} MB resident")
    return table
