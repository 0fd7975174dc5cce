"""`scripts/fuzz-decoders`: fuzz every decoder (or `--target NAME`) with `--inputs N` inputs
each (default 100,000) under atheris, or in-process (`--engine replay`) where atheris is not
installed; a table at the end, `--json` for a machine-readable summary. Exit status 1 when any
target has a finding; each is printed with its input (hex) to reproduce it."""

from __future__ import annotations

import argparse
import json
import sys

from node.fuzzing import corpus, engine, replay
from node.fuzzing.harness import FuzzError
from node.fuzzing.registry import all_targets, get_target
from node.recursion import bound_recursion


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/fuzz-decoders", description=__doc__.split("\n\n")[0])
    p.add_argument("--target", action="append", metavar="NAME",
                   help="fuzz only this target (repeatable); --list shows them")
    p.add_argument("--inputs", type=int, default=100_000, metavar="N",
                   help="inputs per target (default 100000)")
    p.add_argument("--engine", choices=("atheris", "replay"),
                   help="default: atheris when installed, else replay")
    p.add_argument("--seed", type=int, default=0, help="mutation seed of the replay engine")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of a table")
    p.add_argument("--list", action="store_true", help="list the targets and exit")
    p.add_argument("--write-seeds", action="store_true",
                   help="(re)write the seed corpus in tests/fuzz_corpus/ and exit")
    return p


def _row(s: replay.RunStats) -> dict:
    return {"target": s.target, "engine": s.engine, "inputs": s.runs,
            "seconds": round(s.seconds, 2), "inputs_per_second": round(s.per_second),
            "coverage": s.coverage, "corpus": s.corpus,
            "findings": [{"exception": f.exc_type, "where": f.where, "message": f.message,
                          "input_hex": f.data.hex()} for f in s.findings]}


def _table(rows: list[dict]) -> str:
    head = f"{'target':<20} {'engine':<8} {'inputs':>9} {'seconds':>8} {'inputs/s':>9} " \
           f"{'cov':>5} {'corpus':>6}  findings"
    lines = [head, "-" * len(head)]
    for r in rows:
        found = ", ".join(f"{f['exception']} at {f['where']}" for f in r["findings"]) or "none"
        cov = "-" if r["coverage"] is None else str(r["coverage"])
        lines.append(f"{r['target']:<20} {r['engine']:<8} {r['inputs']:>9} {r['seconds']:>8.1f} "
                     f"{r['inputs_per_second']:>9} {cov:>5} {r['corpus']:>6}  {found}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    bound_recursion()  # as the node does (node/recursion.py)
    if args.list:
        for t in all_targets().values():
            print(f"{t.name:<20} {t.doc}")
        return 0
    if args.write_seeds:
        for name, count in corpus.write_seeds().items():
            print(f"{name:<20} {count} seed(s)")
        return 0
    which = args.engine or ("atheris" if engine.available() else "replay")
    try:
        names = [get_target(n).name for n in args.target] if args.target else list(all_targets())
    except FuzzError as exc:
        print(f"fuzz-decoders: {exc}", file=sys.stderr)
        return 2
    rows, failed = [], []
    for name in names:
        try:
            if which == "atheris":
                stats = engine.fuzz(name, args.inputs)
            else:
                seeds = corpus.load(name)
                stats = replay.run(get_target(name), seeds, max(0, args.inputs - len(seeds)),
                                   args.seed)
        except FuzzError as exc:  # the engine itself failed: say so, go on with the others
            print(f"fuzz-decoders: {exc}", file=sys.stderr)
            failed.append(name)
            continue
        rows.append(_row(stats))
        if not args.json:
            print(f"{name}: {stats.runs} inputs, {stats.per_second:.0f}/s, "
                  f"{len(stats.findings)} finding(s)", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"engine": which, "targets": rows, "engine_failed": failed}, indent=2))
    else:
        print(_table(rows))
        for r in rows:
            for f in r["findings"]:
                print(f"\n{r['target']}: {f['exception']} at {f['where']}: {f['message']}\n"
                      f"  input: {f['input_hex'][:400]}")
        if failed:
            print(f"\nthe engine failed on: {', '.join(failed)}")
    if failed:
        return 2
    return 1 if any(r["findings"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
