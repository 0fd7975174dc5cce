"""`scripts/bench dkg`: the key ceremony as operators run it, one `guardian dkg run` process per
guardian on this machine, over libp2p on loopback (`node.devnet.ceremony`). For each size:

    ceremony s   from starting the processes to the last share keystore written (process
                 start-up, imports and connection set-up included)
    protocol s   the slowest participant's time from its run starting (its host up) to its
                 artifacts written
    CPU s        the participants' CPU time together (user + system), linger included

The threshold is the smallest t > 2n/3, as the devnet uses (5 of 7). Each run starts from fresh
keys in a temporary directory. The machine is shared: CPU seconds are the steadier measure.
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rich.table import Table

from node.bench.output import table_console


def default_threshold(n: int) -> int:
    return 2 * n // 3 + 1


def _one(n: int, t: int, kdf_n: int) -> dict:
    from node.devnet.ceremony import run_ceremony_processes
    from node.keys import write_secret_file

    with tempfile.TemporaryDirectory(prefix=f"bench-dkg-{n}-") as tmp:
        out = Path(tmp)
        write_secret_file(out / "passphrase", b"bench passphrase, not a secret\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.monotonic()
        gset, seconds = run_ceremony_processes(out, n, t, out / "passphrase", kdf_n=kdf_n,
                                               log=lambda _: None, timeout=600)
        wall = time.monotonic() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        protocol = max(json.loads((out / f"guardian-{i}" / "dkg-result.json").read_text())
                       ["seconds"] for i in range(1, n + 1))
        assert gset.n == n and gset.threshold == t
    return {"ceremony_s": round(seconds, 2), "protocol_s": round(protocol, 2),
            "processes_wall_s": round(wall, 2),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                           2)}


def run_dkg_bench(sizes: list[int], runs: int = 1, kdf_n: int = 2**14,
                  progress=lambda _: None) -> list[dict]:
    rows = []
    for n in sizes:
        if not 2 <= n <= 64:
            raise ValueError(f"ceremony size {n} outside 2..64 for processes on one machine")
        t = default_threshold(n)
        samples = []
        for run in range(1, runs + 1):
            progress(f"DKG ceremony, {n} guardian processes, t = {t} (run {run}/{runs})")
            samples.append(_one(n, t, kdf_n))
        row = {"guardians": n, "threshold": t, "runs": runs}
        for key in samples[0]:
            row[key] = round(statistics.median(s[key] for s in samples), 2)
        row["ceremony_s_worst"] = max(s["ceremony_s"] for s in samples)
        rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    table = Table(title="DKG ceremony (guardians as processes, libp2p on loopback)")
    cols = [("guardians", "N"), ("threshold", "t"), ("runs", "runs"),
            ("ceremony_s", "ceremony s (median)"), ("ceremony_s_worst", "worst"),
            ("protocol_s", "protocol s"), ("cpu_s", "CPU s (all processes)")]
    for _, title in cols:
        table.add_column(title, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(table)
