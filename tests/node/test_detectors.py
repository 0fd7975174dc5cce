"""Each detector turns a chain view into evidence that the pure rules in protocol.detection
judge; the pipeline's re-observation reads the same fields back. A fake chain view here."""

from __future__ import annotations

import dataclasses

from node.detectors.balance import BalanceDropDetector, OutflowDetector
from node.detectors.invariant import InvariantDetector
from node.detectors.privileged import PrivilegedChangeDetector
from node.records import LogRecord, Watched
from protocol.detection import PRIVILEGED_TOPICS, DetectionParams, EvidenceKind, InvariantCall

PID = b"\x01" * 32
POOL = b"\x0a" * 20
TOKEN = b"\x0b" * 20
ADMIN = b"\x0c" * 20
EVE = b"\x0e" * 20
CALL = bytes.fromhex("0f3cd5ad")
OWNERSHIP = next(t for t, s in PRIVILEGED_TOPICS.items() if s.startswith("OwnershipTransferred"))
PARAMS = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=1500,
                         window_blocks=10, balance_drop_bps=1000,
                         invariants=(InvariantCall(POOL, CALL),), admin=ADMIN)
WATCHED = Watched(PID, PARAMS, allowed_actions=1 << 1)


class FakeView:
    def __init__(self, balances: dict[int, int], solvent: bool = True, logs=()):
        self.balances = balances
        self.solvent = solvent
        self._logs = list(logs)

    async def balance(self, token, holder, block):
        assert (token, holder) == (TOKEN, POOL)
        return self.balances[block]

    async def call(self, target, data, block):
        assert (target, data) == (POOL, CALL)
        solvent = self.solvent(block) if callable(self.solvent) else self.solvent
        return (1 if solvent else 0).to_bytes(32, "big")

    async def logs(self, addresses, topics, block):
        return [entry for entry in self._logs if entry.block_number == block]

    async def log_at(self, tx_hash, log_index):
        return next((e for e in self._logs if e.tx_hash == tx_hash), None)


async def test_outflow_over_the_window():
    view = FakeView({90: 1_000_000, 100: 800_000})
    (found,) = await OutflowDetector().scan(view, WATCHED, 100)
    assert found.evidence.kind == EvidenceKind.OUTFLOW
    assert found.evidence.observed == (1_000_000, 800_000) and found.evidence.detail == POOL
    assert found.verdict.violated
    assert await OutflowDetector().scan(FakeView({90: 1_000_000, 100: 900_000}), WATCHED,
                                        100) == []


async def test_one_block_balance_drop():
    view = FakeView({99: 1_000_000, 100: 850_000})
    (found,) = await BalanceDropDetector().scan(view, WATCHED, 100)
    assert found.evidence.block_from == 99 and found.verdict.violated
    assert await BalanceDropDetector().scan(FakeView({99: 100, 100: 95}), WATCHED, 100) == []


async def test_broken_invariant():
    """Evidence is the break: held at the block before, not at the head."""
    (found,) = await InvariantDetector().scan(FakeView({}, solvent=lambda b: b < 100), WATCHED,
                                              100)
    assert found.evidence.observed == (1, 0) and found.evidence.detail == CALL
    assert (found.evidence.block_from, found.evidence.block_to) == (99, 100)
    assert await InvariantDetector().scan(FakeView({}, solvent=True), WATCHED, 100) == []


async def test_an_invariant_already_broken_at_the_release_is_not_new_evidence():
    """Governance lifted (release at block 90) while the pool was still insolvent: no evidence
    until the invariant holds again and breaks again."""
    lifted = dataclasses.replace(WATCHED, release_block=90)
    assert await InvariantDetector().scan(FakeView({}, solvent=lambda b: b < 80), lifted,
                                          100) == []
    # a missed head: it held right after the release and is broken now
    (found,) = await InvariantDetector().scan(FakeView({}, solvent=lambda b: b <= 95), lifted,
                                              100)
    assert (found.evidence.block_from, found.evidence.observed) == (91, (1, 0))


async def test_balance_windows_start_after_the_release():
    lifted = dataclasses.replace(WATCHED, release_block=97)
    (found,) = await OutflowDetector().scan(FakeView({98: 100, 100: 50}), lifted, 100)
    assert found.evidence.block_from == 98
    assert await OutflowDetector().scan(FakeView({99: 100, 100: 50}),
                                        dataclasses.replace(WATCHED, release_block=99), 100) == []


def _log(actor: bytes) -> LogRecord:
    return LogRecord(address=POOL, topics=(OWNERSHIP, b"\x00" * 32), tx_hash=b"\x77" * 32,
                     log_index=3, block_number=100, tx_from=actor)


async def test_privileged_change_by_a_stranger_but_not_by_governance():
    (found,) = await PrivilegedChangeDetector().scan(FakeView({}, logs=[_log(EVE)]), WATCHED, 100)
    assert found.evidence.kind == EvidenceKind.PRIVILEGED_CHANGE
    assert found.evidence.detail == b"\x77" * 32 + OWNERSHIP + EVE
    assert found.evidence.observed == (3,) and found.verdict.violated
    assert await PrivilegedChangeDetector().scan(FakeView({}, logs=[_log(ADMIN)]), WATCHED,
                                                 100) == []


def test_every_evidence_kind_has_one_rule_and_one_detector():
    from node.detectors import ALL_DETECTORS, detector_for
    from protocol.detection import RULES

    assert set(RULES) == set(EvidenceKind)
    assert sorted(cls.kind for cls in ALL_DETECTORS) == sorted(EvidenceKind)
    assert all(detector_for(kind).kind is kind for kind in EvidenceKind)


def test_detections_are_reported_exploit_class_first_extraction_first():
    """Only the first detection that opens an incident is reported: EXTRACTION (the transaction,
    its takers, their claims), then the other exploit-class kinds, then volatility."""
    from node.detectors import default_detectors, report_order
    from protocol.detection import Shape, shape_of

    kinds = [d.kind for d in report_order(default_detectors())]
    exploit = sorted(k for k in EvidenceKind if shape_of(k) is Shape.EXPLOIT
                     and k is not EvidenceKind.EXTRACTION)
    volatility = sorted(k for k in EvidenceKind if shape_of(k) is not Shape.EXPLOIT)
    assert kinds == [EvidenceKind.EXTRACTION, *exploit, *volatility]


async def test_reobserve_reads_the_evidence_back():
    import pytest

    from node.detectors import NotObserved, detector_for

    view = FakeView({90: 1_000_000, 100: 800_000})
    (found,) = await OutflowDetector().scan(view, WATCHED, 100)
    await detector_for(found.evidence.kind).reobserve(view, found.evidence)
    with pytest.raises(NotObserved, match="our chain shows"):
        await detector_for(found.evidence.kind).reobserve(
            FakeView({90: 1_000_000, 100: 1_000_000}), found.evidence)
