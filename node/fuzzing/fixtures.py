"""Fixed, reproducible key material and parameters the fuzz targets decode against: a dealt
guardian set (n = 4, t = 3, from a seeded RNG), the deployment it guards, and registered detection
parameters. Everything is built once per process, on first use."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from protocol import threshold
from protocol.bls import Backend, get_backend
from protocol.detection import ETHER, DetectionParams, InvariantCall
from protocol.guardian_set import GuardianSet

CHAIN_ID = 31337
ORACLE = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
PROTOCOL_ID = b"\x42" * 32
HOLDER = b"\x08" * 20
TOKEN = b"\x07" * 20
INVARIANT = InvariantCall(b"\x09" * 20, bytes.fromhex("1234abcd"))
PASSPHRASE = "fuzz passphrase"
NOW = 1_700_000_000  # seconds; heartbeats in the corpus are stamped near it
HEAD = 100


@dataclass(frozen=True)
class Keys:
    backend: Backend
    dealing: threshold.Dealing
    gset: GuardianSet

    def sk(self, index: int) -> int:
        return self.dealing.shares[index - 1]


@cache
def keys() -> Keys:
    backend = get_backend()
    dealing = threshold.deal(4, 3, backend=backend, rng=random.Random(17))
    return Keys(backend, dealing, GuardianSet.from_dealing(dealing, 1, backend))


def params() -> DetectionParams:
    return DetectionParams(monitored=(HOLDER,), tokens=(TOKEN, ETHER), outflow_limit_bps=1000,
                           window_blocks=10, balance_drop_bps=2000, invariants=(INVARIANT,),
                           admin=b"\x0a" * 20)
