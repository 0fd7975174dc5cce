"""`scripts/bench` tables stay whole when piped or logged: no 80-column squeeze, no cut cells,
no terminal codes (the JSON stays the record)."""

from __future__ import annotations

import io

from node.bench import e2e
from node.bench.output import table_console


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_piped_tables_are_plain_and_wide(monkeypatch):
    pipe = _Pipe()
    monkeypatch.setattr("node.bench.e2e.table_console", lambda: table_console(pipe))
    row = {"guardians": 16, "threshold": 11, "contained": "3/3",
           "attack_to_containment_s_median": 2.345, "attack_to_containment_s_worst": 3.456,
           "detection_to_submission_s_median": 1.234, "gossip_p50_ms": 12.5,
           "gossip_p99_ms": 150.25, "cpu_percent_per_guardian": 14.2,
           "rss_mb_per_guardian": 180.4, "containment_gas": 222825}
    e2e.print_table([row])
    text = pipe.getvalue()
    assert "\x1b[" not in text and "…" not in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) > 80  # not squeezed to 80 columns
    header = next(line for line in lines if "attack->contained s (median)" in line)
    assert "RSS MB/guardian" in header  # every column title on one line
    assert any("222825" in line and "150.25" in line for line in lines)  # one row, one line
