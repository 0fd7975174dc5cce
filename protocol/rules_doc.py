"""The rule table of `protocol.detection` as markdown, for docs/security.md (a test keeps the
doc and the table equal)."""

from __future__ import annotations

from protocol.containment import CLASS_ACTIONS
from protocol.detection import RULES


def rules_table() -> str:
    """The rules as a markdown table (kind, class, subject, detail, observed, containments)."""
    lines = ["| kind | class | subject | detail | observed | containments (strongest allowed) |",
             "|---|---|---|---|---|---|"]
    for rule in RULES.values():
        actions = " > ".join(a.name.lower() for a in CLASS_ACTIONS[rule.shape])
        lines.append(f"| {rule.kind.name} | {rule.shape.name.lower()} | {rule.subject} "
                     f"| {rule.detail} | {rule.observed} | {actions} |")
    return "\n".join(lines)
