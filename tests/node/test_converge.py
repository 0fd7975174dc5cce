"""One incident, one digest (issue 24): four guardians (t = 3) that each detect a DIFFERENT
report of one incident at once combine one digest within a bounded time.

Measured in the detection benchmark: every guardian's watch loop lagged about 60 blocks behind the
chain while its pending path detected the slow drain at the chain's real head. The gossip rules
counted "the future" from the watch loop's head, so every peer's report (evidence at the real head
+ 1) was dropped as from the future, silently, and each guardian signed only its own detection:
three digests, none at t. Here the guardians run the node's real message path (IncidentPipeline,
GossipIntake with the gossip rules, the proposal stagger) over a small in-memory network that can
lose chosen messages, with their watch loops 60 blocks behind the newest head.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
import trio
import trio.testing

from node.bench.scale_guardian import CALL, CHAIN_ID, HEAD, ORACLE, POOL, ScriptedChain, params
from node.detectors.base import Detection
from node.gossip_intake import GossipIntake, kind_of_bytes
from node.head_relay import relay_heads
from node.pipeline import IncidentPipeline
from node.records import BlockHeader, GuardianKey, ReadyProof, Watched
from node.report_requests import BACKUP_RESPONDERS, ReportRequests
from node.signing_rule import REPLACES_STALLED
from node.status import NodeState
from node.store import Store, incident_key
from node.verification import ReportRejected, ReportVerifier
from protocol import gossip_rules, messages, threshold
from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.detection import EvidenceKind, check_evidence, preference_key
from protocol.evidence import Evidence, evidence_hash
from protocol.guardian_set import GuardianSet
from protocol.pending import MAX_BASE_LAG_BLOCKS, PendingContext
from protocol.submission import proposal_delay

B = get_backend()
N, T = 4, 3
PID = (0x4242).to_bytes(32, "big")
WATCH_LAG = 60  # blocks the watch loops are behind the newest head (the benchmark's)
CONVERGE_SECONDS = 4.0  # two 2 s blocks: the bound the issue sets


def evidence(block_from: int) -> Evidence:
    """Invariant evidence of the one incident: held at `block_from`, broken at HEAD. Different
    `block_from`, different evidence hash, different digest; all valid on the scripted chain."""
    return Evidence(EvidenceKind.INVARIANT, PID, block_from, HEAD, POOL, (1, 0), CALL)


def ranked_evidence() -> list[Evidence]:
    """N different pieces of evidence, best (the preference order every guardian applies) first."""
    evs = [evidence(HEAD - 1 - k) for k in range(N)]
    return sorted(evs, key=lambda ev: preference_key(ev.block_to, evidence_hash(ev)))


class Net:
    """Direct delivery to every other guardian; `drop(src, dst, kind)` loses chosen messages."""

    def __init__(self) -> None:
        self.inboxes: dict[int, trio.MemorySendChannel] = {}
        self.drop: Callable[[int, int, str], bool] = lambda src, dst, kind: False

    def publish(self, src: int, data: bytes) -> None:
        for dst, inbox in self.inboxes.items():
            if dst != src and not self.drop(src, dst, kind_of_bytes(data)):
                inbox.send_nowait((src, data))


class Guardian:
    def __init__(self, index: int, share: int, gset: GuardianSet, net: Net, tmp: Path,
                 head_time: int) -> None:
        self.index = index
        self.gset = gset
        self.net = net
        self.store = Store(tmp / f"guardian-{index}.sqlite")
        chain = ScriptedChain(head_time)
        self.watched = {PID: Watched(PID, params(), allowed_actions=1 << 1)}
        self.state = NodeState(name=f"guardian-{index}", index=index, head=HEAD - WATCH_LAG)
        self.intake = GossipIntake(guardian_set=gset, backend=B, index=index, chain_id=CHAIN_ID,
                                   oracle_address=ORACLE, state=self.state)
        self.pipeline = IncidentPipeline(
            key=GuardianKey(index, share), guardian_set=gset, backend=B, store=self.store,
            view=chain, oracle=chain, chain_id=CHAIN_ID, oracle_address=ORACLE,
            watched=lambda: self.watched, publish=self.publish, on_ready=self.on_ready,
            head_wait_seconds=15.0)
        self.requests = ReportRequests(key=GuardianKey(index, share), guardian_set=gset,
                                       backend=B, store=self.store, publish=self.publish,
                                       have_report=self.pipeline.has_report)
        self.ready: list[ReadyProof] = []
        self.combined = trio.Event()
        self.published: list[str] = []
        inbox_send, self._inbox = trio.open_memory_channel(float("inf"))
        self._accepted_send, self._accepted = trio.open_memory_channel(float("inf"))
        net.inboxes[index] = inbox_send

    async def publish(self, data: bytes) -> None:
        self.intake.remember(gossip_rules.message_id(data))
        self.published.append(kind_of_bytes(data))
        self.net.publish(self.index, data)

    async def on_ready(self, ready: ReadyProof) -> None:
        self.ready.append(ready)
        self.combined.set()

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            # the watch loop is WATCH_LAG heads behind; the newest head came through the relay
            await self.pipeline.on_head(HEAD - WATCH_LAG)
            self.intake.note_tip(HEAD)
            await self.pipeline.on_tip(HEAD)
            nursery.start_soon(self._validate)
            nursery.start_soon(self.pipeline.deferred.run, self.pipeline.on_report)
            await nursery.start(self.requests.run)
            nursery.start_soon(lambda: self.intake.run(
                self._accepted, on_report=self.pipeline.on_report, on_share=self.on_share,
                on_proof=lambda proof: None, on_request=self.requests.on_request))
            task_status.started()

    async def on_share(self, share: messages.Share) -> None:  # as node.assembly wires it
        await self.pipeline.on_share(share)
        self.requests.on_share(share)

    async def _validate(self) -> None:
        async for src, data in self._inbox:  # the p2p layer's topic validator
            verdict, _ = self.intake.validate(str(src), data)
            if verdict is gossip_rules.Verdict.ACCEPT:
                self._accepted_send.send_nowait((src, data))

    async def detect(self, ev: Evidence) -> None:
        """What the watch loop's open_incident does: the report, our share at once, the proposal
        after our stagger."""
        det = Detection(PID, ev, check_evidence(ev, params()))
        report = await self.pipeline.on_detection(det)
        assert report is not None
        delay = proposal_delay(incident_key(PID, 0), self.index, range(1, N + 1))
        await self.pipeline.propose(report, delay)


async def run_incident(tmp_path: Path,
                       assign: Callable[[list[int]], dict[int, Evidence | None]],
                       drop: Callable[[int, int, str], bool] | None = None,
                       ) -> tuple[dict[int, Guardian], dict[int, Evidence]]:
    """Every guardian detects its own evidence at once; returns once all combined (or fails)."""
    dealing = threshold.deal(N, T, backend=B, rng=random.Random(24))
    gset = GuardianSet.from_dealing(dealing, 1, B)
    net = Net()
    if drop is not None:
        net.drop = drop
    head_time = int(trio.current_time()) + 2_000_000_000  # deadlines in the future
    guardians = {i: Guardian(i, dealing.shares[i - 1], gset, net, tmp_path, head_time)
                 for i in range(1, N + 1)}
    order = sorted(range(1, N + 1),
                   key=lambda i: proposal_delay(incident_key(PID, 0), i, range(1, N + 1)))
    evidence_of = assign(order)
    async with trio.open_nursery() as nursery:
        for g in guardians.values():
            await nursery.start(g.run)
        for i, g in guardians.items():
            if evidence_of.get(i) is not None:  # the others only sign peers' reports
                nursery.start_soon(g.detect, evidence_of[i])
        with trio.fail_after(CONVERGE_SECONDS):
            for g in guardians.values():
                await g.combined.wait()
        nursery.cancel_scope.cancel()
    for g in guardians.values():
        g.store.close()
    return guardians, evidence_of


def combined_digests(guardians: dict[int, Guardian]) -> set[bytes]:
    return {r.digest for g in guardians.values() for r in g.ready}


def assert_one_valid_digest(guardians: dict[int, Guardian], expected: list[Evidence]) -> None:
    """Every guardian combined the same digest, of one of the `expected` reports, under the
    group key."""
    (digest,) = combined_digests(guardians)
    ready = next(iter(guardians.values())).ready[0]
    assert ready.report.evidence in expected
    gset = next(iter(guardians.values())).gset
    for g in guardians.values():
        assert B.verify(gset.group_public_key, digest, g.ready[0].signature, DST_AUTHORIZATION)


@pytest.mark.parametrize("best_at", ["first_ranked", "last_ranked"])
async def test_four_different_reports_of_one_incident_combine_one_digest(
        tmp_path, autojump_clock, best_at):
    """The watch loops lag 60 blocks; each guardian detects different evidence. The best report
    goes to the first-ranked proposer, then to the last-ranked one (it publishes last, after
    its whole stagger). On the old code every report was dropped as "from the future"."""
    evs = ranked_evidence()

    def assign(order: list[int]) -> dict[int, Evidence]:
        ranks = order if best_at == "first_ranked" else order[::-1]
        return dict(zip(ranks, evs, strict=True))

    guardians, _ = await run_incident(tmp_path, assign)
    # best first: everyone signs it as it arrives. Best last: the three others' reports go out
    # first and the second best reaches t before the best report is published, which is fine
    # (one digest; the best would only have been a second proof for the same nonce).
    assert_one_valid_digest(guardians, evs[:1] if best_at == "first_ranked" else evs[:2])


async def test_one_digest_when_the_best_report_is_lost_in_gossip(tmp_path, autojump_clock):
    """The best report's gossip is lost to every peer (its author's share still goes round):
    the others combine the best report they have."""
    evs = ranked_evidence()
    owner: dict[str, int] = {}

    def assign(order: list[int]) -> dict[int, Evidence]:
        owner["best"] = order[0]
        return dict(zip(order, evs, strict=True))

    def drop(src: int, dst: int, kind: str) -> bool:
        return src == owner["best"] and kind == "report"

    guardians, evidence_of = await run_incident(tmp_path, assign, drop)
    (digest,) = combined_digests(guardians)
    assert guardians[owner["best"]].published.count("report") == 1  # it did try
    assert next(iter(guardians.values())).ready[0].report.evidence == evs[1]


async def test_a_report_lost_on_its_way_is_asked_for_and_the_split_closes(tmp_path,
                                                                         autojump_clock):
    """The stable split: guardian A detects the best report, B signs it (B detected nothing),
    C detects a worse one and D signs C's. A's report is lost on its way to C and D: two digests
    at two shares each, t = 3, and neither side signs the other's (A and B hold the better
    report; C and D never got it). Before, only the lifecycle's re-gossip, 30 s later, ended
    it. Now C and D hold shares for a digest without its report, ask for it, A answers, and
    all four combine A's digest."""
    evs = ranked_evidence()
    who: dict[str, int] = {}
    lost: set[tuple[int, int]] = set()

    def assign(order: list[int]) -> dict[int, Evidence | None]:
        who.update(a=order[0], b=order[1], c=order[2], d=order[3])
        return {order[0]: evs[0], order[1]: None, order[2]: evs[1], order[3]: None}

    def drop(src: int, dst: int, kind: str) -> bool:
        first_copy = (src, dst) not in lost
        if src == who["a"] and dst in (who["c"], who["d"]) and kind == "report" and first_copy:
            lost.add((src, dst))
            return True
        return False

    guardians, _ = await run_incident(tmp_path, assign, drop)
    assert_one_valid_digest(guardians, evs[:1])
    assert len(lost) == 2  # the first copies were lost indeed
    assert guardians[who["c"]].requests.asked + guardians[who["d"]].requests.asked >= 1
    assert guardians[who["a"]].requests.answered >= 1
    assert sum(g.requests.answered for g in guardians.values()) <= 1 + BACKUP_RESPONDERS


# A stalled report does not hold the incident -------------------------------------------------

SIM_TIME = 2_000_000_000


def pending_evidence(base: int) -> Evidence:
    """Invariant evidence about a pending transaction simulated on `base` (block_to = base + 1)."""
    return Evidence(EvidenceKind.INVARIANT, PID, base - 1, base + 1, POOL, (1, 0), CALL,
                    pending=PendingContext(raw_tx=bytes([base % 256]) * 8, base_hash=b"\x11" * 32,
                                           sim_time=SIM_TIME + base))


def pipeline_of(tmp_path: Path, index: int = 1) -> tuple[IncidentPipeline, GuardianSet, list]:
    dealing = threshold.deal(N, T, backend=B, rng=random.Random(24))
    gset = GuardianSet.from_dealing(dealing, 1, B)
    chain = ScriptedChain(SIM_TIME)
    watched = {PID: Watched(PID, params(), allowed_actions=1 << 1)}
    sent: list[bytes] = []

    async def publish(data: bytes) -> None:
        sent.append(data)

    async def on_ready(_ready) -> None:
        return None

    pipeline = IncidentPipeline(
        key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset, backend=B,
        store=Store(tmp_path / f"p{index}.sqlite"), view=chain, oracle=chain, chain_id=CHAIN_ID,
        oracle_address=ORACLE, watched=lambda: watched, publish=publish, on_ready=on_ready)
    return pipeline, gset, sent


def detection_of(ev: Evidence) -> Detection:
    return Detection(PID, ev, check_evidence(ev, params()))


async def test_a_stalled_pending_report_is_replaced_by_a_fresher_detection(tmp_path, caplog):
    """We signed our pending report at base 100 and it never reached t (peers could not check it
    in time). Once its base is more than MAX_BASE_LAG_BLOCKS behind our head nobody else can
    sign it: the next detection of the incident (the drain's next transaction) is reported and
    signed, although its evidence is later. Before, every later detection was swallowed until
    the stalled report expired (900 s) while the drain went on."""
    pipeline, _, sent = pipeline_of(tmp_path)
    incident = incident_key(PID, 0)
    await pipeline.on_tip(100)
    first = await pipeline.on_detection(detection_of(pending_evidence(100)))
    assert first is not None
    await pipeline.on_tip(100 + MAX_BASE_LAG_BLOCKS)  # still signable by a peer: it holds
    assert await pipeline.on_detection(detection_of(pending_evidence(104))) is None
    assert pipeline.store.own_shares_for(incident) == [first.digest()]

    await pipeline.on_tip(100 + MAX_BASE_LAG_BLOCKS + 1)  # stalled now
    with caplog.at_level("INFO", logger="guardian.pipeline"):
        fresh = await pipeline.on_detection(detection_of(pending_evidence(106)))
    assert fresh is not None
    assert set(pipeline.store.own_shares_for(incident)) == {first.digest(), fresh.digest()}
    assert f"{REPLACES_STALLED} 0x{first.digest().hex()[:12]}" in caplog.text
    assert sum(kind_of_bytes(d) == "share" for d in sent) == 2
    # and it holds the incident in turn while it can still combine
    assert await pipeline.on_detection(detection_of(pending_evidence(107))) is None
    pipeline.store.close()


async def test_a_mined_report_never_stalls(tmp_path):
    """Mined evidence can be re-checked by anyone at any time: it holds the incident until it
    combines or expires."""
    pipeline, _, _ = pipeline_of(tmp_path)
    await pipeline.on_tip(HEAD)
    assert await pipeline.on_detection(detection_of(evidence(HEAD - 1))) is not None
    await pipeline.on_tip(HEAD + 100)
    assert await pipeline.on_detection(detection_of(evidence(HEAD - 2))) is None
    pipeline.store.close()


def test_a_guardian_may_report_again_once_its_first_pending_report_stalled(tmp_path):
    """The gossip rules take a guardian's first report of an incident as its only one (a second
    is ignored and blamed as equivocation), unless the first is about a pending transaction
    whose base is now too old to be signed: then the second is its new report, not blamed."""
    dealing = threshold.deal(N, T, backend=B, rng=random.Random(24))
    gset = GuardianSet.from_dealing(dealing, 1, B)
    state = NodeState(name="guardian-1", index=1, head=40)  # the watch loop lags
    intake = GossipIntake(guardian_set=gset, backend=B, index=1, chain_id=CHAIN_ID,
                          oracle_address=ORACLE, state=state)

    def report(base: int) -> bytes:
        ev = pending_evidence(base)
        return messages.encode(messages.sign_message(messages.Report(
            chain_id=CHAIN_ID, oracle=ORACLE, key_epoch=gset.epoch, protocol_id=PID, action=1,
            nonce=0, deadline=4_000_000_000, evidence=ev, observed_block=ev.block_to,
            guardian=2, signature=b""), dealing.shares[1], B))

    intake.note_tip(100)
    first = report(100)
    verdict, _ = intake.validate("peer", first)
    assert verdict is gossip_rules.Verdict.ACCEPT  # 101 is not "the future" at tip 100
    intake._note_first(messages.decode(first, B))
    verdict, reason = intake.validate("peer", report(103))
    assert verdict is gossip_rules.Verdict.IGNORE and "already reported" in reason
    assert state.blame.blamed() == {"2": {"equivocation: two different reports for one "
                                          "incident": 1}}
    intake.note_tip(100 + MAX_BASE_LAG_BLOCKS + 1)
    again = report(106)
    verdict, _ = intake.validate("peer", again)
    assert verdict is gossip_rules.Verdict.ACCEPT
    intake._note_first(messages.decode(again, B))
    assert len(state.blame.blamed()["2"]) == 1  # not blamed again
    # and the new report holds in turn
    assert intake.validate("peer", report(107))[0] is gossip_rules.Verdict.IGNORE


async def test_the_relay_hands_every_head_on_even_when_the_watch_loop_is_busy():
    """node.head_relay: the watch loop's channel is full (it is scanning), the newest head still
    reaches the incident path at once; the watch loop gets what fits, as before."""
    source_send, source = trio.open_memory_channel(8)
    watch_send, watch = trio.open_memory_channel(1)
    tips: list[int] = []

    async def on_tip(number: int) -> None:
        tips.append(number)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(relay_heads, source, watch_send, on_tip)
        for n in range(1, 6):
            await source_send.send(BlockHeader(n, bytes(32), n))
        await source_send.aclose()
    assert tips == [1, 2, 3, 4, 5]
    assert watch.receive_nowait().number == 1  # the rest waits for a later head
    with pytest.raises(trio.WouldBlock):
        watch.receive_nowait()


async def test_a_report_waiting_for_the_registry_wakes_on_the_watch_loops_head(autojump_clock):
    """The issue-17 start-up rule waits for the registry (the watch loop's head), not the tip:
    the tip may already be past the evidence while the registry is still empty."""
    registry: dict[bytes, Watched] = {}
    verifier = ReportVerifier(chain_id=CHAIN_ID, oracle_address=ORACLE, key_epoch=1, view=None,
                              oracle=None, watched=lambda: registry, head_wait_seconds=10)
    ev = evidence(HEAD - 1)
    report = messages.Report(chain_id=CHAIN_ID, oracle=ORACLE, key_epoch=1, protocol_id=PID,
                             action=1, nonce=0, deadline=4_000_000_000, evidence=ev,
                             observed_block=HEAD, guardian=2, signature=b"")
    outcome: dict[str, str] = {}

    async def verify() -> None:
        try:
            await verifier.verify(report)
        except ReportRejected as exc:
            outcome["rejected"] = str(exc)

    await verifier.on_tip(HEAD + 3)  # the subscription is ahead; the registry is still empty
    async with trio.open_nursery() as nursery:
        nursery.start_soon(verify)
        await trio.testing.wait_all_tasks_blocked()
        assert outcome == {}  # waiting for the registry, not refused as "not registered"
        registry[PID] = Watched(PID, params(), 1 << 1, contained=True)
        await verifier.on_head(HEAD)  # the watch loop read the registry at the evidence block
    assert outcome == {"rejected": "protocol is already contained"}
    assert trio.current_time() < 1  # woken by the head, not by the 10 s timeout


def test_the_fault_suite_does_not_count_a_stalled_replacement_as_double_signing(tmp_path):
    """node.chaos.outcome counts a share for a worse report after a better one as double
    signing, unless the line says the better one had stalled (what node.pipeline logs)."""
    from node.chaos.outcome import double_signed

    def line(digest: str, block: int, tail: str = "") -> str:
        return (f"signed share for digest 0x{digest} (protocol 0xabc nonce 0) evidence block "
                f"{block} hash 0x01{tail}\n")

    class Logs:
        def log_path(self, i: int) -> Path:
            return tmp_path / f"g{i}.log"

    (tmp_path / "g1.log").write_text(line("aa", 101) + line("bb", 107, f" {REPLACES_STALLED} "
                                                                      "0xaa"))
    (tmp_path / "g2.log").write_text(line("aa", 101) + line("bb", 107))
    assert double_signed(Logs(), [1]) == 0
    assert double_signed(Logs(), [2]) == 1
