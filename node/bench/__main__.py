"""`scripts/bench`: benchmarks, printed as tables and written as JSON.

    scripts/bench crypto [--backends pyblst,arkworks,py_ecc] [--budget 60] [--json FILE]
    scripts/bench e2e [--guardians 4,7,16] [--block-times 1,2,12] [--runs 10] [--slow-runs 3] [--offsets stratified]
    scripts/bench e2e-drip [--guardians 4,7,16] [--runs 3] [--json FILE]   (the drip exploit)
    scripts/bench flood [--flooders 4] [--json FILE]   (7 guardians, t = 5)
    scripts/bench dkg [--guardians 4,7,16] [--runs 1] [--json FILE]   (processes, libp2p)
    scripts/bench pending [--guardians 4] [--rate 100]  (a flood of pending txs + the exploit)
    scripts/bench dkg-compute [--participants 4,7,16,100] [--backends arkworks] [--json FILE]
    scripts/bench prepared [--runs 20] [--block-times 2,12] [--target oz-lending]   (deploy, wait 1-5 blocks, call)
    scripts/bench scale [--guardians 7,16,100] [--incidents 2] [--json FILE]   (in-process, emulated net)
    scripts/bench detection [--baseline 1c69dcf] [--classes a,b] [--parallel 8] [--stagger 1]   (corpus, 4 guardians)
    scripts/bench all

Results go to bench-results/bench-<section>-<UTC time>.json unless --json names a file.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

DEFAULT_DIR = Path("bench-results")


def _crypto(args: argparse.Namespace) -> dict:
    from node.bench.crypto import print_table, run_crypto_bench

    backends = [b for b in args.backends.split(",") if b] or None
    print("crypto benchmark (BLS12-381)", flush=True)
    rows = run_crypto_bench(backends, budget=args.budget,
                            progress=lambda msg: print(msg, flush=True))
    print_table(rows)
    return {"crypto": rows}


def _e2e_drip(args: argparse.Namespace) -> dict:
    from node.bench.e2e import print_table, run_e2e_bench

    sizes = [int(n) for n in args.guardians.split(",") if n]
    rows = run_e2e_bench(sizes, runs=args.runs or 3)
    print_table(rows)
    return {"e2e_drip": rows}


def _e2e(args: argparse.Namespace) -> dict:
    from node.bench.e2e_pending import run_bench
    from node.bench.e2e_table import print_stage_table, print_table

    sizes = [int(n) for n in args.guardians.split(",") if n]
    times = [float(b) for b in args.block_times.split(",") if b]
    print(f"end to end: the one-transaction exploit, broadcast at a random moment of the block "
          f"({args.offsets} offsets)", flush=True)
    rows = run_bench(sizes, times, args.runs or 10, args.slow_runs,
                     progress=lambda m: print(m, flush=True),
                     probe_new_contracts=args.probe_new_contracts,
                     stratified=args.offsets == "stratified")
    print_table(rows)
    print_stage_table(rows)
    return {"e2e": rows}


def _flood(args: argparse.Namespace) -> dict:
    from node.bench.flood import print_table, run_flood_bench

    print(f"flood benchmark: 7 guardians, {args.flooders} outsider processes", flush=True)
    result = run_flood_bench(flooders=args.flooders, progress=lambda m: print(m, flush=True))
    print_table(result)
    return {"flood": result}


def _dkg(args: argparse.Namespace) -> dict:
    from node.bench.dkg_ceremony import print_table, run_dkg_bench

    sizes = [int(n) for n in args.guardians.split(",") if n]
    rows = run_dkg_bench(sizes, runs=args.runs or 1,
                         progress=lambda m: print(m, flush=True))
    print_table(rows)
    return {"dkg": rows}


def _pending(args: argparse.Namespace) -> dict:
    from node.bench.pending_flood import run_flood_bench

    n = int(args.guardians.split(",")[0]) if args.guardians != "4,7,16" else 4
    result = run_flood_bench(n=n, rate=args.rate, progress=lambda m: print(m, flush=True))
    for key, value in result.items():
        print(f"  {key:32} {value}")
    return {"pending": result}


def _dkg_compute(args: argparse.Namespace) -> dict:
    from node.bench.dkg_compute import print_table, run_dkg_compute

    sizes = [int(n) for n in args.participants.split(",") if n]
    backend = (args.backends.split(",")[0] if args.backends else "") or "arkworks"
    rows = run_dkg_compute(sizes, backend, progress=lambda m: print(m, flush=True))
    print_table(rows)
    return {"dkg_compute": rows}


def _scale(args: argparse.Namespace) -> dict:
    from node.bench.scale import print_table, run_scale_bench

    sizes = [int(n) for n in (args.guardians if args.guardians != "4,7,16" else "7,16,100")
             .split(",") if n]
    rows = run_scale_bench(sizes, args.incidents, progress=lambda m: print(m, flush=True))
    print_table(rows)
    return {"scale": rows}


def _detection(args: argparse.Namespace) -> dict:
    from node.bench.detection_cli import run_detection

    return run_detection(args)


def _prepared(args: argparse.Namespace) -> dict:
    from node.bench.prepared import print_table, run_bench

    times = [float(b) for b in (args.block_times if args.block_times != "1,2,12" else "2,12")
             .split(",") if b]
    n = int(args.guardians.split(",")[0]) if args.guardians != "4,7,16" else 7
    print(f"preparation: deploy, wait 1-5 blocks, call; benign contracts first; {n} guardians",
          flush=True)
    rows = run_bench(n, times, args.runs or 20, progress=lambda m: print(m, flush=True),
                     target=args.target)
    print_table(rows)
    return {"prepared": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("section", choices=("crypto", "e2e", "e2e-drip", "flood", "pending",
                                            "dkg", "dkg-compute", "scale", "detection", "prepared",
                                            "all"), nargs="?", default="all")
    parser.add_argument("--backends", default="",
                        help="BLS backends for the crypto section, comma-separated "
                             "(default: every available one)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds an operation may be estimated to take before the crypto "
                             "section skips it (py_ecc at 67-of-100)")
    parser.add_argument("--guardians", default="4,7,16",
                        help="guardian counts for the end-to-end section (comma-separated)")
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per cell (default: e2e 10, e2e-drip 3, dkg ceremonies 1)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="pending: pending transactions per second offered")
    parser.add_argument("--block-times", default="1,2,12", help="e2e: block times in seconds")
    parser.add_argument("--offsets", choices=("stratified", "random"), default="stratified",
                        help="e2e: the exploit's broadcast moments: one in each equal slice of the "
                             "block (default), or independent uniform draws (earlier rounds)")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help="e2e: runs per cell for block times above 2 s")
    parser.add_argument("--flooders", type=int, default=4,
                        help="outsider processes in the flood section")
    parser.add_argument("--participants", default="4,7,16,100",
                        help="ceremony sizes for the dkg-compute section (comma-separated)")
    parser.add_argument("--probe-new-contracts", action="store_true",
                        help="e2e: keep the guardians' preparation watch on (off by default: the "
                             "Attacker contract would be contained at its deployment, before the "
                             "race this section measures)")
    parser.add_argument("--incidents", type=int, default=2, help="scale: incidents per size")
    parser.add_argument("--target", choices=("demo", "oz-lending"), default="demo",
                        help="prepared: the demo pool or the OpenZeppelin lending market")
    from node.bench.detection_cli import add_arguments

    add_arguments(parser)
    parser.add_argument("--json", type=Path, default=None,
                        help="write results here (default bench-results/bench-<section>-<time>.json)")
    args = parser.parse_args(argv)
    results: dict = {"machine": {"python": platform.python_version(),
                                 "platform": platform.platform()},
                     "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        if args.section in ("crypto", "all"):
            results.update(_crypto(args))
        if args.section in ("e2e", "all"):
            results.update(_e2e(args))
        if args.section == "pending":
            results.update(_pending(args))
        if args.section == "e2e-drip":
            results.update(_e2e_drip(args))
        if args.section in ("flood", "all"):
            results.update(_flood(args))
        if args.section in ("dkg", "all"):
            results.update(_dkg(args))
        if args.section in ("dkg-compute", "all"):
            results.update(_dkg_compute(args))
        if args.section == "scale":
            results.update(_scale(args))
        if args.section == "detection":
            results.update(_detection(args))
        if args.section == "prepared":
            results.update(_prepared(args))
    except ValueError as exc:
        print(f"scripts/bench: {exc}", file=sys.stderr)
        return 2
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out = args.json or DEFAULT_DIR / f"bench-{args.section}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
