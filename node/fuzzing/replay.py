"""The in-process engine: replay a target's corpus, then seeded random mutations of it (bit
flips, interesting bytes, inserted, deleted and duplicated runs, splices of two inputs). Not
coverage-guided: it is the short run in the default tests, and the fallback where atheris is not
installed. Deterministic for a given seed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from node.fuzzing.harness import MAX_INPUT_BYTES, Finding, Target, check

INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xC1, 0xCC, 0xCD, 0xCF, 0xD9, 0xDC, 0xDE,
               0x90, 0x91, 0xA0, 0x22, 0x5B, 0x7B, 0x5D, 0x7D, 0x2D, 0x30, 0x78, 0x0A, 0x5C)


@dataclass
class RunStats:
    target: str
    engine: str
    runs: int = 0
    seconds: float = 0.0
    corpus: int = 0
    coverage: int | None = None  # libFuzzer's `cov` (atheris only)
    findings: list[Finding] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else 0.0


def mutate(data: bytes, pool: list[bytes], rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[pos % len(buf)] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            buf[pos % len(buf)] = rng.choice(INTERESTING)
        elif op == 2:
            buf[pos:pos] = bytes(rng.choice(INTERESTING) for _ in range(rng.randint(1, 8)))
        elif op == 3 and buf:
            del buf[pos:pos + rng.randint(1, 16)]
        elif op == 4 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start:start + rng.randint(1, 64)] * rng.randint(1, 8)
        elif op == 5 and pool:
            other = rng.choice(pool)
            cut = rng.randrange(len(other) + 1)
            buf = buf[:pos] + bytearray(other[cut:])
        elif op == 6:
            del buf[pos:]
    return bytes(buf[:MAX_INPUT_BYTES])


def run(target: Target, corpus: list[bytes], mutations: int, seed: int = 0) -> RunStats:
    """Replay `corpus`, then `mutations` mutated inputs; every distinct finding is recorded."""
    stats = RunStats(target.name, "replay", corpus=len(corpus))
    rng = random.Random(f"{target.name}/{seed}")
    seen: set[tuple[str, str]] = set()
    pool = corpus or [b""]
    start = time.perf_counter()
    inputs = list(corpus) + [mutate(rng.choice(pool), pool, rng) for _ in range(mutations)]
    for data in inputs:
        finding = check(target, data)
        stats.runs += 1
        if finding is not None and finding.signature() not in seen:
            seen.add(finding.signature())
            stats.findings.append(finding)
    stats.seconds = time.perf_counter() - start
    return stats
