"""The incident lifecycle: our share of an open incident is gossiped again with backoff until it
combines or the incident closes; closed and expired incidents leave no per-incident state in
memory; a peer's report stays out of the store until it has been verified. Mock clock: the
backoff takes no real time."""

from __future__ import annotations

import trio

from node.lifecycle import IncidentLifecycle
from node.pipeline import IncidentPipeline
from node.records import GuardianKey, Watched
from node.store import Store, incident_key
from node.submitter import Submitter
from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.detection import DetectionParams, EvidenceKind, InvariantCall
from protocol.evidence import Evidence, evidence_hash
from protocol.guardian_set import GuardianSet

B = get_backend()
PID = b"\x42" * 32
POOL = b"\x07" * 20
CALL = bytes.fromhex("0f3cd5ad")
DEADLINE = 1_700_000_600
REPORT = messages.sign_message(messages.Report(
    chain_id=31337, oracle=b"\x05" * 20, key_epoch=1, protocol_id=PID, action=1, nonce=0,
    deadline=DEADLINE, evidence=Evidence(EvidenceKind.INVARIANT, PID, 99, 100, POOL, (1, 0), CALL),
    observed_block=100, guardian=2, signature=b""), 7, B)
DIGEST = REPORT.digest()
INCIDENT = incident_key(PID, 0)


class Parts:
    """A store holding our share of one open incident, and the services that keep state on it."""

    def __init__(self, tmp_path, watched=None) -> None:
        dealing = threshold.deal(3, 2, backend=B)
        gset = GuardianSet.from_dealing(dealing, 1, B)
        self.store = Store(tmp_path / "db")
        self.published: list[tuple[float, bytes]] = []

        async def publish(data: bytes) -> None:
            self.published.append((trio.current_time(), data))

        async def on_ready(ready) -> None:
            pass

        self.pipeline = IncidentPipeline(
            key=GuardianKey(1, dealing.shares[0]), guardian_set=gset, backend=B,
            store=self.store, view=None, oracle=None, chain_id=31337, oracle_address=b"\x05" * 20,
            watched=lambda: watched or {}, publish=publish, on_ready=on_ready,
            head_wait_seconds=0.0)
        self.submitter = Submitter(key=GuardianKey(1, 7), backend=B, store=self.store,
                                   client=None, publish=publish, live=lambda: [1])
        self.chain_now: int | None = None
        self.lifecycle = IncidentLifecycle(
            store=self.store, pipeline=self.pipeline, submitter=self.submitter, publish=publish,
            chain_time=lambda: self.chain_now)

    def open_incident_with_our_share(self) -> None:
        self.store.save_report(DIGEST, INCIDENT, 100, evidence_hash(REPORT.evidence),
                               messages.encode(REPORT), "peer")
        self.store.record_own_share(DIGEST, INCIDENT, b"our share")


async def _run_lifecycle(parts: Parts, seconds: float, *, at=None, do=None) -> float:
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(parts.lifecycle.run)
        if at is not None:
            await trio.sleep(at)
            do()
            await trio.sleep(seconds - at)
        else:
            await trio.sleep(seconds)
        nursery.cancel_scope.cancel()
    return start


async def test_own_share_is_regossiped_with_backoff_until_contained(tmp_path, autojump_clock):
    parts = Parts(tmp_path)
    parts.open_incident_with_our_share()
    start = await _run_lifecycle(parts, 600.0, at=300.0,
                                 do=lambda: parts.store.mark_contained(INCIDENT, None, 120))
    sent = [round(t - start) for t, data in parts.published if data == b"our share"]
    assert sent == [31, 91, 211], sent  # 30 s, then doubling; nothing once contained
    # each time after the report it signs (issue 17: a restarted peer never saw the report)
    assert [data for _, data in parts.published] == [messages.encode(REPORT), b"our share"] * 3


async def test_a_combined_share_is_not_regossiped(tmp_path, autojump_clock):
    parts = Parts(tmp_path)
    parts.open_incident_with_our_share()
    parts.pipeline._ready[DIGEST] = INCIDENT
    await _run_lifecycle(parts, 300.0)
    assert parts.published == []


async def test_closed_incidents_leave_no_state_in_memory(tmp_path, autojump_clock):
    parts = Parts(tmp_path)
    parts.open_incident_with_our_share()
    parts.pipeline._detected_at[INCIDENT] = 1.0
    parts.pipeline._ready[DIGEST] = INCIDENT
    parts.submitter.contained(DIGEST)
    parts.submitter.sent_at[DIGEST] = 1.0
    await parts.lifecycle.step()
    assert parts.pipeline.incidents_in_memory() == {INCIDENT}  # still open: kept
    parts.store.mark_contained(INCIDENT, None, 120)
    await parts.lifecycle.step()
    assert parts.pipeline.incidents_in_memory() == set()
    assert parts.submitter.tracked_digests() == set()


async def test_an_incident_past_every_deadline_expires(tmp_path, autojump_clock):
    parts = Parts(tmp_path)
    parts.open_incident_with_our_share()
    parts.pipeline._detected_at[INCIDENT] = 1.0
    parts.chain_now = DEADLINE  # still usable at the deadline itself
    await parts.lifecycle.step()
    assert parts.store.incident_state(INCIDENT) == "open"
    parts.chain_now = DEADLINE + 1
    await parts.lifecycle.step()
    assert parts.store.incident_state(INCIDENT) == "expired"
    assert parts.pipeline.incidents_in_memory() == set()
    assert parts.store.open_own_shares() == []  # and nothing to re-gossip or resume


async def test_a_peer_report_stays_out_of_the_store_until_verified(tmp_path, autojump_clock):
    params = DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))
    contained = {PID: Watched(PID, params, allowed_actions=1 << 1, contained=True)}
    parts = Parts(tmp_path, watched=contained)
    assert await parts.pipeline.on_report(REPORT) is False  # "protocol is already contained"
    assert parts.store.report(DIGEST) is None
    assert parts.store.incident_state(INCIDENT) is None
    assert parts.store.open_incidents() == []
