"""The stage clock behind the race's stage table: first times kept, bounded, unknown stages refused;
the network's time of a stage is its first guardian's; p50/p90 per stage after the broadcast."""

from __future__ import annotations

import pytest

from node.stages import STAGES, StageClock, earliest, stage_table


def test_each_stage_keeps_its_first_time_and_the_clock_is_bounded():
    clock = StageClock(limit=3)
    clock.mark(b"a", "verdict", 10.0)
    clock.mark(b"a", "verdict", 11.0)  # a second detection of the same incident
    assert clock.since(b"a") == {"verdict": 10.0}
    for name in (b"b", b"c", b"d"):
        clock.mark(name, "own_share", 12.0)
    assert clock.since(b"a") == {} and set(clock.as_dict()) == {b"b".hex(), b"c".hex(), b"d".hex()}
    with pytest.raises(ValueError, match="unknown stage"):
        clock.mark(b"b", "lunch")


def test_the_table_is_the_first_guardian_per_stage_in_ms_after_the_broadcast():
    slow = {"verdict": 100.3, "own_share": 100.4, "garbage": "x"}
    fast = {"verdict": 100.1, "combined": 100.6, "authorize_sent": 100.7}
    runs = [{**earliest([slow, fast, {}]), "broadcast": 100.0}]
    assert runs[0]["verdict"] == 100.1 and "garbage" not in runs[0]
    table = stage_table(runs)
    assert table["verdict"]["p50_ms"] == pytest.approx(100.0, abs=0.5)
    assert table["authorize_sent"]["p90_ms"] == pytest.approx(700.0, abs=0.5)
    assert table["own_share"]["runs"] == 1 and "pending_arrived" not in table
    assert list(STAGES)[:2] == ["pending_arrived", "simulation_started"]
