"""`scripts/bench detection` without a chain: the scoring totals, the table cells, the option
checks and the baseline export (the guardians of the 'before' column come from it)."""

from __future__ import annotations

import argparse

import pytest

from node.bench.detection import totals
from node.bench.detection_cli import add_arguments, run_detection
from node.bench.detection_net import BaselineError, baseline_tree, detections
from node.bench.detection_table import cell

E18 = 10**18


def _row(name, verdict, contained, when="-", saved=None, action="PAUSE", **extra):
    row = {"class": name, "verdict": verdict, "contained": contained, "when": when,
           "evidence": {}, "error": None, **extra}
    if contained:
        row.update(action=action, frozen_seconds=3600)
    if saved is not None:
        row["effect"] = {"at_risk": 100 * E18, "lost": int((1 - saved) * 100) * E18,
                         "saved_fraction": saved}
    return row


def test_totals_count_the_confusion_matrix_and_the_funds():
    rows = [_row("a", "exploit", True, "before", 1.0), _row("b", "exploit", True, "after", 0.0),
            _row("c", "exploit", False, saved=0.0), _row("d", "benign", True, "before"),
            _row("e", "benign", False), _row("f", "benign", False)]
    t = totals(rows)
    assert (t["true_positives"], t["false_negatives"], t["false_positives"],
            t["true_negatives"]) == (2, 1, 1, 2)
    assert t["contained_before_harmful"] == 1
    assert t["precision"] == round(2 / 3, 3) and t["recall"] == round(2 / 3, 3)
    assert t["funds_at_risk"] == 300 * E18 and t["funds_lost"] == 200 * E18
    assert t["saved_fraction"] == round(1 / 3, 4)
    assert t["frozen_seconds_benign"] == 3600


def test_totals_without_containments_have_no_precision():
    t = totals([_row("e", "benign", False)])
    assert t["precision"] is None and t["recall"] is None and t["false_positives"] == 0


def test_cells_say_what_happened():
    assert cell(_row("a", "exploit", True, "before", 1.0)) == "PAUSE before, saved 100%"
    assert cell(_row("c", "exploit", False, saved=0.0)) == "no, saved 0%"
    benign = _row("d", "benign", True, "after", evidence={"outflow": 4, "balance_drop": 1})
    assert cell(benign) == "FALSE PAUSE after, frozen 60 min [outflow x4,balance_drop x1]"
    assert cell({**benign, "error": "boom"}) == "driver error"
    assert cell(None) == ""
    limited = _row("w", "benign", True, "after", action="CIRCUIT_BREAKER", queued_outflows=2)
    limited["frozen_seconds"] = 0  # as scored: the corpus rate-limits outflows under a breaker
    assert cell(limited) == "FALSE CIRCUIT_BREAKER after (rate limit), 2 withdrawals queued"


def test_a_benign_rate_limit_is_counted_apart_from_a_freeze():
    rows = [_row("w", "benign", True, "after", action="CIRCUIT_BREAKER", queued_outflows=3),
            _row("p", "benign", True, "after")]
    rows[0]["frozen_seconds"] = 0
    t = totals(rows)
    assert t["false_positives"] == 2  # a breaker engaged on a benign class is still counted
    assert t["benign_rate_limited"] == 1 and t["queued_outflows_benign"] == 3
    assert t["frozen_seconds_benign"] == 3600  # only the PAUSE froze anyone


def _args(**kw):
    parser = argparse.ArgumentParser()
    parser.add_argument("--guardians", default="4,7,16")
    add_arguments(parser)
    args = parser.parse_args([])
    for key, value in kw.items():
        setattr(args, key, value)
    return args


@pytest.mark.parametrize(("kw", "message"), [
    ({"columns": "before,later"}, "--columns"),
    ({"columns": ""}, "--columns"),
    ({"parallel": 0}, "--parallel"),
    ({"classes": "bank_run,nope"}, "unknown corpus class"),
])
def test_bad_options_are_refused_before_anything_starts(kw, message):
    with pytest.raises(ValueError, match=message):
        run_detection(_args(**kw))


def test_the_baseline_is_exported_with_its_own_sources_and_artifacts(tmp_path):
    with baseline_tree("1c69dcf", tmp_path) as column:
        assert column.label == "before" and column.commit.startswith("1c69dcf")
        assert (column.tree / "node" / "cli.py").is_file()
        assert column.artifact("GuardianOracle")["abi"]
        assert not (column.tree / "node" / "corpus").exists()  # the corpus came later
    with pytest.raises(BaselineError, match="git archive"):
        with baseline_tree("not-a-commit", tmp_path / "x"):
            pass


def test_detections_are_counted_per_protocol_and_kind_from_the_guardians_logs(tmp_path):
    line = ("2026-12-07 06:44:05,349 INFO    guardian-{g} guardian.pipeline: detected {k} on "
            "protocol 0x33ccdcb951c1 at block 188: outflow: balance fell 1 -> 0\n")
    (tmp_path / "guardian-1.log").write_text(line.format(g=1, k="OUTFLOW") * 2
                                             + line.format(g=1, k="INVARIANT") + "noise\n")
    (tmp_path / "guardian-2.log").write_text(line.format(g=2, k="OUTFLOW"))
    assert detections(tmp_path) == {"33ccdcb951c1": {"OUTFLOW": 2, "INVARIANT": 1}}
    assert detections(tmp_path / "missing") == {}


def test_the_table_prints_the_evidence_brackets_literally(capsys):
    from node.bench.detection_table import print_table

    rows = [_row("d", "benign", True, "after", evidence={"outflow": 4})]
    print_table([{"column": "before", "commit": "1c69dcf", "rows": rows, "totals": totals(rows)}])
    assert "[outflow x4]" in capsys.readouterr().out  # not swallowed as rich markup
