"""What a running ceremony shows: its phase, the time left in it, and whom it has heard from.

    DKG phase COMPLAIN, 41 s left | deals 7/7 | responses 5/7 (waiting for 3, 6) | peers 6
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Heard:
    """Senders heard from, per message type (indices), for display."""

    by_type: dict[str, set[int]] = field(default_factory=dict)
    invalid: int = 0  # signed messages the session refused (bad points, wrong sizes ...)

    def add(self, kind: str, sender: int) -> None:
        self.by_type.setdefault(kind, set()).add(sender)


def _ranges(indices) -> str:
    out, run = [], []
    for i in sorted(indices):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [i]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out) or "-"


def progress_line(phase: str, left: float, heard: Heard, dealers: list[int],
                  recipients: list[int], peers: int) -> str:
    parts = [f"DKG phase {phase}" + (f", {left:.0f} s left" if phase != "finish" else "")]
    for kind, expected in (("deal", dealers), ("response", recipients)):
        got = heard.by_type.get(kind, set())
        missing = [i for i in expected if i not in got]
        text = f"{kind}s {len(got & set(expected))}/{len(expected)}"
        if missing and len(missing) <= 8:
            text += f" (waiting for {_ranges(missing)})"
        elif missing:
            text += f" ({len(missing)} missing)"
        parts.append(text)
    justified = heard.by_type.get("justification", set())
    if justified:
        parts.append(f"justifications from {_ranges(justified)}")
    confirmed = heard.by_type.get("confirmation", set())
    if confirmed:
        parts.append(f"confirmations {len(confirmed & set(dealers))}/{len(dealers)}")
    if heard.invalid:
        parts.append(f"{heard.invalid} refused")
    parts.append(f"peers {peers}")
    return " | ".join(parts)
