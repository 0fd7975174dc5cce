"""The crypto section of `scripts/bench`: BLS operations per backend, milliseconds per operation.

Operations (DST_AUTHORIZATION, 32-byte digests as the oracle signs them):

- `sign`: one signature; `verify`: one signature check against a public key;
- `verify-partial`: a partial signature checked against the guardian's public share pk_i;
- `to-eip2537`: a compressed signature converted to the oracle's calldata form;
- `combine t-of-n`: Lagrange combination of t partials (G2 multi-scalar multiplication);
- `robust-combine t-of-n`: what a guardian does before submitting: verify t partials one by one,
  combine them, verify the result under the group key.

Times are CPU time of this process (`time.process_time`), which on a shared machine is what the
operation costs; wall-clock medians are recorded in the JSON too. Every timed call gets inputs it
has not seen (a fresh digest per repetition), so the backends' decoded-point caches only ever hold
the guardian set's public keys, as in a running node. Inputs are prepared with pyblst outside the
timed region (all backends produce identical bytes).
py_ecc is pure Python: it runs fewer repetitions, and an operation whose estimated time exceeds
the budget is skipped and reported as such rather than run.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from protocol import threshold
from protocol.bls import DST_AUTHORIZATION, available_backends, get_backend
from protocol.guardian_set import GuardianSet

SIZES = ((7, 5), (100, 67))
BUDGET_SECONDS = 60.0
# (repetitions of single operations, repetitions of combinations); a repetition loop also stops
# once it has used a quarter of the budget.
REPEATS = {"pyblst": (200, 30), "arkworks": (200, 30), "py_ecc": (3, 1)}


@dataclass(frozen=True)
class Row:
    backend: str
    operation: str
    n: int | None
    t: int | None
    repeats: int
    median_ms: float | None  # CPU time
    mean_ms: float | None
    min_ms: float | None
    wall_median_ms: float | None
    skipped: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Setup:
    n: int
    t: int
    dealing: threshold.Dealing
    gset: GuardianSet


def _digest(i: int) -> bytes:
    return i.to_bytes(32, "big")


def _time(prepare: Callable[[int], tuple], op: Callable, repeats: int,
          budget: float) -> list[tuple[float, float]]:
    """(CPU seconds, wall seconds) per call of op(*prepare(i)); preparation is not timed."""
    times: list[tuple[float, float]] = []
    spent = 0.0
    for i in range(repeats):
        args = prepare(i)
        wall, cpu = time.perf_counter(), time.process_time()
        op(*args)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        times.append((cpu, wall))
        spent += cpu
        if spent > budget / 4:
            break
    return times


def _row(backend: str, operation: str, times: list[tuple[float, float]], n=None, t=None) -> Row:
    ms = [cpu * 1000 for cpu, _ in times]
    wall = [w * 1000 for _, w in times]
    return Row(backend, operation, n, t, len(ms), round(statistics.median(ms), 3),
               round(statistics.fmean(ms), 3), round(min(ms), 3),
               round(statistics.median(wall), 3))


def _cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def _setup(n: int, t: int) -> _Setup:
    ref = get_backend("pyblst")
    dealing = threshold.deal(n, t, backend=ref, rng=random.Random(1000 * n + t))
    return _Setup(n, t, dealing, GuardianSet.from_dealing(dealing, 1, ref))


def _partials(setup: _Setup, digest: bytes) -> dict[int, bytes]:
    """t partials over `digest` from a spread of guardians (not just 1..t)."""
    ref = get_backend("pyblst")
    signers = random.Random(digest).sample(range(1, setup.n + 1), setup.t)
    return {i: threshold.partial_sign(setup.dealing.shares[i - 1], digest, ref)
            for i in sorted(signers)}


def _bench_single(name: str, setup: _Setup, budget: float) -> list[Row]:
    b, ref = get_backend(name), get_backend("pyblst")
    repeats = REPEATS.get(name, (10, 3))[0]
    sk = setup.dealing.secret
    pk = setup.gset.group_public_key
    base = 10_000  # digests distinct from the combination runs
    rows = [_row(name, "sign", _time(lambda i: (sk, _digest(base + i), DST_AUTHORIZATION),
                                     b.sign, repeats, budget))]

    def signed(i: int) -> tuple:
        d = _digest(base + 1000 + i)
        return pk, d, ref.sign(sk, d, DST_AUTHORIZATION), DST_AUTHORIZATION

    rows.append(_row(name, "verify", _time(signed, b.verify, repeats, budget)))

    def partial(i: int) -> tuple:
        d = _digest(base + 2000 + i)
        index = 1 + i % setup.n
        return (setup.gset, index, d,
                threshold.partial_sign(setup.dealing.shares[index - 1], d, ref), b)

    rows.append(_row(name, "verify-partial", _time(partial, threshold.verify_partial, repeats,
                                                   budget), setup.n, setup.t))
    rows.append(_row(name, "to-eip2537 (G2)", _time(
        lambda i: (ref.sign(sk, _digest(base + 3000 + i), DST_AUTHORIZATION),),
        b.g2_to_eip2537, repeats, budget)))
    return rows


def _bench_combine(name: str, setup: _Setup, budget: float) -> list[Row]:
    b, ref = get_backend(name), get_backend("pyblst")
    repeats = REPEATS.get(name, (10, 3))[1]
    n, t = setup.n, setup.t
    label = f"{t}-of-{n}"
    # Estimate from single operations before committing to a long run.
    probe = _partials(setup, _digest(99))
    first = next(iter(probe))
    mul = _cpu(lambda: b.g2_mul(probe[first], 3))
    ver = _cpu(lambda: threshold.verify_partial(setup.gset, first, _digest(99), probe[first], b))
    estimates = {f"combine {label}": t * mul,
                 f"robust-combine {label}": t * (mul + ver) + ver}
    rows = []
    ops = {f"combine {label}": lambda p, d: threshold.combine(p, b),
           f"robust-combine {label}": lambda p, d: threshold.robust_combine(setup.gset, d, p, b)}
    for k, (op_name, op) in enumerate(ops.items()):
        if estimates[op_name] > budget:
            rows.append(Row(name, op_name, n, t, 0, None, None, None, None,
                            skipped=f"skipped: estimated {estimates[op_name]:.0f} s > "
                                    f"{budget:.0f} s budget"))
            continue

        def prepare(i: int, k=k) -> tuple:
            d = _digest(1000 * (k + 1) + i)
            return _partials(setup, d), d

        times = _time(prepare, op, repeats, budget)
        rows.append(_row(name, op_name, times, n, t))
    # sanity: the combined signature is the group's signature
    sig = threshold.combine(probe, b)
    if not ref.verify(setup.gset.group_public_key, _digest(99), sig, DST_AUTHORIZATION):
        raise AssertionError(f"{name}: combined signature does not verify")
    return rows


def run_crypto_bench(backends: list[str] | None = None, *, sizes=SIZES,
                     budget: float = BUDGET_SECONDS, progress: Callable[[str], None] = print
                     ) -> list[dict]:
    """Measure every operation for every named backend; rows as plain dicts (JSON-ready)."""
    names = backends or available_backends()
    unknown = [n for n in names if n not in available_backends()]
    if unknown:
        raise ValueError(f"backend(s) not available: {', '.join(unknown)}")
    setups = [_setup(n, t) for n, t in sizes]
    rows: list[Row] = []
    for name in names:
        progress(f"  {name}: single operations")
        rows += _bench_single(name, setups[-1], budget)
        for setup in setups:
            progress(f"  {name}: {setup.t}-of-{setup.n}")
            rows += _bench_combine(name, setup, budget)
    return [r.as_dict() for r in rows]


def print_table(rows: list[dict]) -> None:
    """One row per operation, one column per backend: median milliseconds (repetitions)."""
    from rich.table import Table

    from node.bench.output import table_console

    backends = list(dict.fromkeys(r["backend"] for r in rows))
    operations = list(dict.fromkeys(r["operation"] for r in rows))
    cell = {(r["backend"], r["operation"]): r for r in rows}
    table = Table(title="BLS12-381: CPU milliseconds per operation, median of N runs")
    table.add_column("operation")
    for name in backends:
        table.add_column(name, justify="right")
    for op in operations:
        cells = []
        for name in backends:
            r = cell.get((name, op))
            if r is None:
                cells.append("-")
            elif r["skipped"]:
                cells.append(r["skipped"])
            else:
                cells.append(f"{r['median_ms']:.3f} (N={r['repeats']})")
        table.add_row(op, *cells)
    table_console().print(table)
