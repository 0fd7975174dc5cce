"""`scripts/chaos`: run the fault scenarios and print the results table (or JSON)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console

from node.chaos.catalogue import SCENARIOS, by_name
from node.chaos.runner import run_scenarios
from node.chaos.table import results_table
from node.toolchain import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__)
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="a scenario or a family (repeatable); default: all")
    parser.add_argument("--guardians", type=int, default=7)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--quick", action="store_true", help="shorter outages and waits")
    parser.add_argument("--keep", action="store_true", help="keep every run directory")
    parser.add_argument("--run-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:<22} {s.family:<10} {s.expected}")
        return 0
    if not 1 <= args.threshold <= args.guardians:
        parser.error("--threshold must be between 1 and --guardians")
    try:
        scenarios = by_name(args.only)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    root = args.run_dir or REPO_ROOT / ".chaos" / time.strftime("run-%Y%m%d-%H%M%S")
    console = Console(stderr=args.json, width=None if sys.stdout.isatty() else 200)
    started = time.monotonic()
    outcomes = run_scenarios(scenarios, guardians=args.guardians, threshold=args.threshold,
                             run_root=root.resolve(), quick=args.quick, keep=args.keep,
                             say=lambda line: console.print(line, highlight=False))
    wall = time.monotonic() - started
    if args.json:
        print(json.dumps({"guardians": args.guardians, "threshold": args.threshold,
                          "wall_seconds": round(wall, 1),
                          "outcomes": [o.to_dict() for o in outcomes]}, indent=2))
    else:
        console.print(results_table(outcomes, f"fault suite: {args.guardians} guardians, "
                                    f"threshold {args.threshold}, {wall / 60:.1f} min"))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
