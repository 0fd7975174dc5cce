"""`scripts/bench scale`: 7, 16 and 100 guardians (t = two thirds) in one process over an
emulated gossip network, and the model of the same guardians on their own machines.

For each size: run the incidents (node.bench.scale_run), summarise them per guardian, then run the
model (node.bench.scale_model) with the measured CPU costs twice: on one shared CPU, as the
emulation ran (this checks the model against the measurement), and with one CPU per guardian plus
py-libp2p's per-message cost (the prediction for guardians on their own machines).
"""

from __future__ import annotations

import trio

from node.bench.scale_model import (
    LIBP2P_DIRECT_SECONDS_PER_COPY,
    LIBP2P_SECONDS_PER_MESSAGE,
    Costs,
    predict,
)
from node.bench.scale_net import NetParams
from node.bench.scale_run import default_threshold, run_incidents, summarize
from protocol.guardian_set import MAX_GUARDIANS


def run_scale_bench(sizes: list[int], incidents: int, net: NetParams | None = None, *,
                    seed: int = 1, progress=None) -> list[dict]:
    if not sizes or any(not 2 <= n <= MAX_GUARDIANS for n in sizes) or incidents < 1:
        raise ValueError(f"scale: need guardian counts in 2..{MAX_GUARDIANS} and at least one "
                         "incident")
    net = net or NetParams()
    rows = []
    for n in sizes:
        t = default_threshold(n)
        if progress:
            progress(f"scale: {n} guardians, t = {t}, {incidents} incident(s)")
        results = trio.run(lambda n=n, t=t: run_incidents(n, t, incidents, net, seed=seed,
                                                          progress=progress))
        row = summarize(results)
        row["net"] = dict(net.__dict__)
        rows.append(add_model(row))
    return rows


def add_model(row: dict) -> dict:
    """The model's three runs for a measured row (also for rows read back from a JSON file)."""
    n, t, net = row["guardians"], row["threshold"], NetParams(**row["net"])
    measured = Costs.from_summary(row)
    # the emulation's one CPU, as loaded as it was during the run
    row["model_one_cpu"] = predict(n, t, measured.stretched(row["stretch"]), net, cores="one")
    row["model_own_cpus"] = predict(n, t, measured, net, cores="own")
    libp2p = LIBP2P_DIRECT_SECONDS_PER_COPY if net.direct else LIBP2P_SECONDS_PER_MESSAGE
    row["model_own_cpus_libp2p"] = predict(
        n, t, Costs.from_summary(row, libp2p=libp2p), net, cores="own")
    return row


def print_table(rows: list[dict]) -> None:
    print("\nper incident, per guardian (means); latency = first detection to own combination")
    print(f"{'n':>4} {'t':>3} {'msgs out':>8} {'msgs in':>8} {'dups':>6} {'KB out':>7} "
          f"{'KB in':>7} {'ctrl':>5} {'CPU s':>6} {'comb s':>6} | {'first':>6} {'median':>6} "
          f"{'t-th':>6} {'last':>6} {'wall':>6}")
    for r in rows:
        print(f"{r['guardians']:>4} {r['threshold']:>3} {r['messages_sent']:>8.1f} "
              f"{r['messages_received']:>8.1f} {r['duplicates']:>6.1f} "
              f"{r['bytes_sent'] / 1000:>7.1f} {r['bytes_received'] / 1000:>7.1f} "
              f"{r['control_messages']:>5.1f} {r['cpu_seconds']:>6.3f} "
              f"{r['combine_cpu_seconds']:>6.3f} | {r['latency_first']:>6.2f} "
              f"{r['latency_median']:>6.2f} {r['latency_tth']:>6.2f} {r['latency_last']:>6.2f} "
              f"{r['wall_seconds']:>6.1f}")
    print("(CPU s: thread time, all of the guardian's work; comb s: the combination alone; "
          "KB include framing: ~150 B per gossip message, 32 B per direct frame; "
          "stretch = wall / CPU of the guardians' steps, the machine's load: "
          + ", ".join(f"{r['guardians']}: {r['stretch']:.2f}" for r in rows) + ")")
    print("\nmodel (s; first / median / t-th guardian to combine; msgs out per guardian):")
    print(f"{'n':>4} | {'measured, one CPU':>27} | {'model, one CPU':>27} | "
          f"{'model, own CPUs':>27} | {'own CPUs + libp2p':>27}")
    for r in rows:
        cells = [(r["latency_first"], r["latency_median"], r["latency_tth"],
                  r["messages_sent"])] + [
            (m["first"], m["median"], m["tth"], m["messages_sent"]) for m in
            (r["model_one_cpu"], r["model_own_cpus"], r["model_own_cpus_libp2p"])]
        print(f"{r['guardians']:>4} | " + " | ".join(
            f"{a:>6.2f} {b:>6.2f} {c:>6.2f} {d:>6.0f}" for a, b, c, d in cells))
