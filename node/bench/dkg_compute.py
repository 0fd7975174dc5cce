"""`scripts/bench dkg-compute`: the DKG's computation alone. Every participant of one ceremony
runs in this one process (no network, no disk): each phase is timed over all participants
together, and divided by n for the cost one participant pays. Wall time and this process's CPU
time are both recorded: on a shared machine the CPU time is the honest measure of compute. The threshold is the smallest
t > 2n/3 (t > n/2 is what the oracle requires; 67 of 100).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.table import Table

from node.bench.output import table_console
from protocol.bls import get_backend
from protocol.dkg import DkgSession, Phase
from protocol.dkg_ceremony import Ceremony, Participant
from protocol.dkg_keys import ParticipantKeys

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def default_threshold(n: int) -> int:
    return 2 * n // 3 + 1


def _peer_id(i: int) -> str:  # a well-formed placeholder: the computation never uses it
    digits = ""
    while True:
        i, digit = divmod(i, 58)
        digits = _ALPHABET[digit] + digits
        if not i:
            break
    return "12D3KooW" + digits.rjust(44, "1")


@contextmanager
def _timed(timings: dict[str, float], name: str):
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    timings[f"{name}_s"] = time.perf_counter() - wall
    timings[f"{name}_cpu_s"] = time.process_time() - cpu


def run_ceremony(n: int, t: int, backend_name: str) -> dict:
    backend = get_backend(backend_name)
    timings: dict[str, float] = {}
    start, cpu_start = time.perf_counter(), time.process_time()
    keys = [ParticipantKeys.generate() for _ in range(n)]
    ceremony = Ceremony(f"bench {n}", 1, t, tuple(
        Participant(i, _peer_id(i), k.encryption_key, k.signing_key) for i, k in enumerate(keys, 1)))
    sessions = [DkgSession(ceremony, k, backend) for k in keys]
    timings["setup_s"] = time.perf_counter() - start
    sizes = {}
    for phase in Phase:
        with _timed(timings, f"{phase.value}_make"):
            sent = [list(s.outgoing(phase)) for s in sessions]
        with _timed(timings, f"{phase.value}_receive"):
            for p, messages in enumerate(sent):
                for data in messages:
                    for q, other in enumerate(sessions):
                        if q != p:
                            other.receive(data)
        if sent[0]:
            sizes[f"{phase.value}_bytes"] = len(sent[0][0])
    with _timed(timings, "finish"):
        results = [s.finish() for s in sessions]
    if len({r.transcript_hash for r in results}) != 1 or len(results[0].qualified) != n:
        raise RuntimeError("participants disagree: the benchmark's ceremony failed")
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    row = {"participants": n, "threshold": t, "backend": backend_name,
           **{k: round(v, 3) for k, v in timings.items()},
           "total_s": round(total, 3), "cpu_s": round(cpu, 3),
           "per_participant_s": round(total / n, 3), "cpu_per_participant_s": round(cpu / n, 3),
           **sizes,
           "transcript_bytes": len(results[0].transcript)}
    return row


def run_dkg_compute(sizes: list[int], backend_name: str, progress=lambda _: None) -> list[dict]:
    rows = []
    for n in sizes:
        if n < 2:
            raise ValueError("a ceremony needs at least 2 participants")
        progress(f"ceremony of {n} participants (t = {default_threshold(n)}, {backend_name}) ...")
        rows.append(run_ceremony(n, default_threshold(n), backend_name))
        progress(f"  {rows[-1]['total_s']} s")
    return rows


def print_table(rows: list[dict]) -> None:
    table = Table(title="DKG compute (all participants in one process; seconds summed over "
                        "participants unless per participant; wall time per phase in the JSON)")
    cols = [("participants", "n"), ("threshold", "t"), ("backend", "backend"),
            ("deal_make_cpu_s", "deal make CPU"), ("deal_receive_cpu_s", "deal receive CPU"),
            ("complain_make_cpu_s", "verify+complain CPU"),
            ("complain_receive_cpu_s", "complain receive CPU"),
            ("justify_make_cpu_s", "justify CPU"), ("finish_cpu_s", "finish CPU"),
            ("total_s", "total"),
            ("cpu_s", "CPU total"), ("per_participant_s", "per participant"),
            ("cpu_per_participant_s", "CPU per participant"), ("deal_bytes", "deal bytes")]
    for _, title in cols:
        table.add_column(title, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(table)
