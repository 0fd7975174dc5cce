"""The options and the driver of `scripts/bench detection` (node.bench.detection runs a column)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

DEFAULT_BASELINE = "1c69dcf"  # main before issue 24's intent-aware rules: "today's rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help="detection: the commit whose guardians make the 'before' column "
                             f"(its sources, exported with git archive; default {DEFAULT_BASELINE}; 'none': only "
                             "this checkout)")
    parser.add_argument("--columns", default="before,after",
                        help="detection: which columns to run (before = --baseline, after = this "
                             "checkout)")
    parser.add_argument("--classes", default="",
                        help="detection: corpus classes to run, comma-separated (default all)")
    parser.add_argument("--parallel", type=int, default=8,
                        help="detection: classes played at the same time on the shared chain")
    parser.add_argument("--stagger", type=int, default=1,
                        help="detection: blocks between the events of one wave (each class's "
                             "background traffic runs throughout; 0: every event of a wave in the "
                             "same block, the stress case of 5 exploits racing at once)")
    parser.add_argument("--block-time", type=float, default=2.0,
                        help="detection: seconds per block")
    parser.add_argument("--keep", type=Path, default=None,
                        help="detection: keep keys, configs and guardian logs in this directory")


def run_detection(args: argparse.Namespace) -> dict:
    from node.bench.detection import run_column
    from node.bench.detection_net import Column, baseline_tree, head_commit
    from node.bench.detection_table import print_table
    from node.corpus.registry import select
    from node.toolchain import REPO_ROOT

    classes = select(args.classes)
    wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
    if not wanted or any(c not in ("before", "after") for c in wanted):
        raise ValueError("--columns: before, after or both")
    if args.parallel < 1:
        raise ValueError("--parallel: at least 1")
    if args.stagger < 0:
        raise ValueError("--stagger: 0 or more blocks")
    if args.baseline == "none":
        wanted = ["after"]
    guardians = 4 if args.guardians == "4,7,16" else int(args.guardians.split(",")[0])
    print(f"detection benchmark: {len(classes)} corpus classes, {guardians} guardians, "
          f"{args.block_time:g}s blocks, {args.parallel} at a time, events {args.stagger} "
          f"block(s) apart, columns {', '.join(wanted)}", flush=True)
    columns = []

    def run(column: Column) -> None:
        columns.append(run_column(column, classes, guardians=guardians,
                                  block_time=args.block_time, parallel=args.parallel,
                                  stagger=args.stagger,
                                  progress=lambda m: print(m, flush=True), keep=args.keep))

    if "before" in wanted:
        with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp, \
                baseline_tree(args.baseline, Path(tmp)) as column:
            run(column)
    if "after" in wanted:
        run(Column("after", REPO_ROOT, head_commit()))
    print_table(columns)
    return {"detection": columns}
