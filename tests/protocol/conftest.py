"""Shared protocol fixtures: a small dealt guardian set and signed messages of every type."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.detection import EvidenceKind
from protocol.digest import Action
from protocol.evidence import Evidence
from protocol.guardian_set import GuardianSet

B = get_backend()
ORACLE = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
PID = b"\x42" * 32


@dataclass
class Network:
    dealing: threshold.Dealing
    gset: GuardianSet

    def sk(self, index: int) -> int:
        return self.dealing.shares[index - 1]


@pytest.fixture(scope="session")
def net() -> Network:
    dealing = threshold.deal(4, 3, backend=B, rng=random.Random(11))
    return Network(dealing, GuardianSet.from_dealing(dealing, 1, B))


def make_report(net: Network, guardian: int = 1, **changes) -> messages.Report:
    ev = Evidence(EvidenceKind.OUTFLOW, changes.pop("evidence_pid", PID), 90, 100, b"\x07" * 20,
                  (10**24, 10**23), b"\x08" * 20)
    fields = dict(chain_id=31337, oracle=ORACLE, key_epoch=1, protocol_id=PID,
                  action=Action.PAUSE, nonce=0, deadline=2_000_000_000, evidence=ev,
                  observed_block=100, guardian=guardian, signature=b"")
    fields.update(changes)
    return messages.sign_message(messages.Report(**fields), net.sk(guardian), B)


def make_all(net: Network) -> list[messages.Message]:
    report = make_report(net)
    digest = report.digest()
    partials = {i: threshold.partial_sign(net.sk(i), digest, B) for i in (1, 2, 3)}
    combined = threshold.combine(partials, B)
    share = messages.sign_message(messages.Share(report.incident_id, digest, partials[2], 2, b""),
                                  net.sk(2), B)
    proof = messages.sign_message(messages.Proof(report.incident_id, digest, combined, (1, 2, 3),
                                                 b"\x09" * 32, 3, b""), net.sk(3), B)
    beat = messages.sign_message(messages.Heartbeat(100, b"\x01" * 32, 1_700_000_000_000, 1, 4, b""),
                                 net.sk(4), B)
    return [report, share, proof, beat]
