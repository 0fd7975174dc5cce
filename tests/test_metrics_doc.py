"""docs/operate.md lists every metric a guardian exports, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from node.metrics import Metrics

DOC = Path(__file__).resolve().parents[1] / "docs" / "operate.md"


def test_every_metric_is_documented():
    text = DOC.read_text().split("### Metrics", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(guardian_[a-z_]+)", text, re.M))
    exported = set()
    for family in Metrics().registry.collect():
        suffix = "_total" if family.type == "counter" else ""
        exported.add(family.name + suffix)
    assert documented == exported
