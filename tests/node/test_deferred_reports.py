"""A peer's report that this node cannot check yet (its chain view is behind the evidence block,
or a read failed) is not refused for good: it is checked again once the view catches up, so a
lagging guardian still signs the report the others converged on (issue 23: under load, the
lagging guardians refused every report and no digest reached t shares)."""

from __future__ import annotations

import random

import trio

from node.deferred_reports import DeferredReports
from node.pipeline import IncidentPipeline
from node.records import GuardianKey, Watched
from node.store import Store, incident_key
from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.detection import DetectionParams, InvariantCall
from protocol.guardian_set import GuardianSet

from .test_restart import CALL, ORACLE, PID, POOL, FakeChain, _detection

B = get_backend()


def _pipeline(tmp_path, dealing, gset, index: int, head_wait: float) -> IncidentPipeline:
    params = DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))
    watched = {PID: Watched(PID, params, allowed_actions=1 << 1)}

    async def nothing(*_):
        return None

    chain = FakeChain()
    return IncidentPipeline(key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset,
                            backend=B, store=Store(tmp_path / f"g{index}.sqlite"), view=chain,
                            oracle=chain, chain_id=31337, oracle_address=ORACLE,
                            watched=lambda: watched, publish=nothing, on_ready=nothing,
                            head_wait_seconds=head_wait)


async def test_a_report_ahead_of_our_view_is_signed_once_we_catch_up(tmp_path, autojump_clock):
    dealing = threshold.deal(3, 2, backend=B, rng=random.Random(5))
    gset = GuardianSet.from_dealing(dealing, 1, B)
    params = DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))
    ahead = _pipeline(tmp_path, dealing, gset, 2, head_wait=15.0)
    await ahead.on_head(100)
    report = await ahead.on_detection(_detection(params))  # guardian 2 detects at block 100
    assert report is not None

    lagging = _pipeline(tmp_path, dealing, gset, 1, head_wait=1.0)
    await lagging.on_head(95)  # loaded: five heads behind
    incident = incident_key(PID, 0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lagging.deferred.run, lagging.on_report)
        assert not await lagging.on_report(report)  # cannot check it yet: not a refusal
        assert lagging.deferred.waiting(report) and not lagging.store.own_shares_for(incident)
        await lagging.on_head(99)
        await trio.sleep(1)
        assert not lagging.store.own_shares_for(incident)  # still behind block 100
        await lagging.on_head(100)
        with trio.fail_after(5):
            while not lagging.store.own_shares_for(incident):
                await trio.sleep(0.01)
        assert lagging.store.own_shares_for(incident) == [report.digest()]
        assert not lagging.deferred.waiting(report)
        nursery.cancel_scope.cancel()


def test_the_waiting_set_is_bounded_and_each_report_tries_a_bounded_number_of_times():
    params = DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))
    reports = [messages.Report(chain_id=31337, oracle=ORACLE, key_epoch=1, protocol_id=PID,
                               action=1, nonce=nonce, deadline=1,
                               evidence=_detection(params).evidence, observed_block=100,
                               guardian=2, signature=b"") for nonce in range(3)]
    deferred = DeferredReports(limit=2, retries=3)
    for r in reports:
        deferred.defer(r, 10)
    assert len(deferred) == 2 and not deferred.waiting(reports[0]) and deferred.dropped == 1
    for _ in range(3):
        deferred.defer(reports[1], 10)  # three more failed reads
    assert not deferred.waiting(reports[1]) and deferred.dropped == 2
