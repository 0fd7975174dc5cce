"""One in-process guardian for `scripts/bench scale`: the node's real message path behind an
emulated network (node.bench.scale_net) instead of libp2p, and a scripted chain instead of RPC.

What is real: `node.pipeline.IncidentPipeline` (report signing, re-verification of peers'
reports against the chain view, share signing, sqlite store, `protocol.threshold.robust_combine`
with every partial verified and the result verified under the group key), `node.gossip_intake`
(the topic validator applying `protocol.gossip_rules`, with BLS signature and partial checks;
delivery and dedup), `protocol.messages` encoding and signing, the proposal stagger
(`protocol.submission.proposal_delay`) and the pending race's proof announcements (a guardian
that combined announces a signed Proof after `race_delay(rank)` unless RACERS peers did).
What is scripted: the chain (`ScriptedChain`: an invariant that breaks at block 100; an
`authorize` is never sent, the Proof carries a placeholder transaction hash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import trio

from node.bench.scale_cpu import charge_to
from node.bench.scale_net import EmulatedNetwork
from node.detectors.base import Detection
from node.gossip_intake import FLOODED_KINDS, GossipIntake, kind_of_bytes
from node.pipeline import IncidentPipeline
from node.records import GuardianKey, ReadyProof, Watched
from node.status import NodeState
from node.store import Store, incident_key
from protocol import gossip_rules, messages
from protocol.detection import DetectionParams, EvidenceKind, InvariantCall, check_evidence
from protocol.evidence import Evidence
from protocol.guardian_set import GuardianSet
from protocol.submission import RACERS, proposal_delay, race_delay, submission_rank

CHAIN_ID = 31337
ORACLE = b"\x05" * 20
POOL = b"\x07" * 20
CALL = bytes.fromhex("0f3cd5ad")  # isSolvent()
HEAD = 100  # the invariant holds before this block and breaks at it
PLACEHOLDER_TX = b"\x99" * 32


def protocol_id(k: int) -> bytes:
    """Incident k is about its own protocol, so incidents never merge."""
    return (0x4200 + k).to_bytes(32, "big")


def params() -> DetectionParams:
    return DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))


def detection(k: int) -> Detection:
    """What every guardian detects for incident k: the same evidence, so the same digest."""
    ev = Evidence(EvidenceKind.INVARIANT, protocol_id(k), HEAD - 1, HEAD, POOL, (1, 0), CALL)
    return Detection(protocol_id(k), ev, check_evidence(ev, params()))


class ScriptedChain:
    """Chain view and oracle in one: the invariant breaks at block HEAD; nonce 0 everywhere.
    `head_time` is block HEAD's timestamp, one for all guardians (deadlines, so digests, count
    from it) and recent (the gossip rules ignore expired reports)."""

    def __init__(self, head_time: int) -> None:
        self._epoch = head_time

    async def nonce(self, protocol_id: bytes, block: str = "latest") -> int:
        return 0

    async def block_timestamp(self, block: int) -> int:
        return self._epoch + block - HEAD

    async def head(self) -> int:
        return HEAD

    async def call(self, target, data, block):
        return (1 if block < HEAD else 0).to_bytes(32, "big")


@dataclass
class Timeline:
    """What one guardian did in one incident, in trio time."""

    detected: float | None = None
    combined: float | None = None
    digest: bytes | None = None
    signature: bytes | None = None  # the combined signature (group key) this guardian holds
    proofs_seen: int = 0
    proof_sent: bool = False
    report_published: bool = False
    combine_cpu: float = 0.0
    validate_cpu: dict[str, float] = field(default_factory=dict)  # kind -> seconds, first copies
    validated: dict[str, int] = field(default_factory=dict)  # kind -> first copies validated


class EmulatedGuardian:
    def __init__(self, *, index: int, share: int, gset: GuardianSet, backend, net: EmulatedNetwork,
                 data_dir: Path, incidents: int, head_time: int) -> None:
        self.index = index
        self.gset = gset
        self.backend = backend
        self.net = net
        self.key = GuardianKey(index, share)
        self.store = Store(data_dir / f"guardian-{index}.sqlite")
        self.chain = ScriptedChain(head_time)
        self.watched = {protocol_id(k): Watched(protocol_id(k), params(), allowed_actions=1 << 1)
                        for k in range(incidents)}
        self.state = NodeState(name=f"guardian-{index}", index=index, head=HEAD)
        self.intake = GossipIntake(guardian_set=gset, backend=backend, index=index,
                                   chain_id=CHAIN_ID, oracle_address=ORACLE, state=self.state)
        self.pipeline = IncidentPipeline(
            key=self.key, guardian_set=gset, backend=backend, store=self.store, view=self.chain,
            oracle=self.chain, chain_id=CHAIN_ID, oracle_address=ORACLE,
            watched=lambda: self.watched, publish=self.publish, on_ready=self._on_ready)
        self.timeline = Timeline()
        self.pending = 0  # this guardian's proposal and race tasks still running
        self._inbound_send, self._inbound = trio.open_memory_channel(float("inf"))
        self._accepted_send, self._accepted = trio.open_memory_channel(float("inf"))
        self._nursery: trio.Nursery | None = None
        self._combining = False
        net.attach(index, lambda src, data, direct=False: self._inbound_send.send_nowait(
            (src, data, direct)))

    async def publish(self, data: bytes) -> None:
        self.intake.remember(gossip_rules.message_id(data))
        self.net.publish(self.index, data, flood=kind_of_bytes(data) in FLOODED_KINDS)

    def new_incident(self) -> Timeline:
        done, self.timeline = self.timeline, Timeline()
        return done

    def busy(self) -> bool:
        return (self.pending > 0 or self._inbound.statistics().current_buffer_used > 0
                or self._accepted.statistics().current_buffer_used > 0)

    # services ----------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        charge_to(self.index, "gossip")
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await self.pipeline.on_head(HEAD)
                nursery.start_soon(self._deliver)
                task_status.started()
                await self._receive()
        finally:
            self.store.close()

    async def _receive(self) -> None:
        """gossipsub's part: seen cache, the topic validator, forwarding what it accepts."""
        peer_ids = self.gset.peer_ids or ()
        async for src, data, direct in self._inbound:  # first copies only (the seen cache)
            started = time.thread_time()
            verdict, _reason = self.intake.validate(
                peer_ids[src - 1] if peer_ids else str(src), data)
            kind = kind_of_bytes(data)
            tl = self.timeline
            tl.validate_cpu[kind] = tl.validate_cpu.get(kind, 0.0) + time.thread_time() - started
            tl.validated[kind] = tl.validated.get(kind, 0) + 1
            if verdict is gossip_rules.Verdict.ACCEPT:
                if not direct:  # what came over a direct link is never forwarded
                    self.net.forward(self.index, data, came_from=src)
                self._accepted_send.send_nowait((src, data))
            elif verdict is gossip_rules.Verdict.REJECT:
                self.net.traffic[self.index].rejected += 1

    async def _deliver(self) -> None:
        """The node's part: GossipIntake.run hands messages to the pipeline."""
        charge_to(self.index, "deliver")
        await self.intake.run(self._accepted, on_report=self.pipeline.on_report,
                              on_share=self._on_share, on_proof=self._on_proof)

    async def _on_share(self, share: messages.Share) -> None:
        started = time.thread_time()
        self._combining = False
        await self.pipeline.on_share(share)  # no checkpoint inside: thread time is its own
        if self._combining:
            self.timeline.combine_cpu += time.thread_time() - started

    def _on_proof(self, proof: messages.Proof) -> None:
        if proof.digest == self.timeline.digest or self.timeline.digest is None:
            self.timeline.proofs_seen += 1

    # an incident -------------------------------------------------------------------------------
    def detect(self, k: int, delay: float) -> None:
        self.pending += 1
        self._nursery.start_soon(self._detect, k, delay)

    async def _detect(self, k: int, delay: float) -> None:
        charge_to(self.index, "detect")
        try:
            await trio.sleep(delay)
            self.timeline.detected = trio.current_time()
            report = await self.pipeline.on_detection(detection(k))
            if report is None:
                return
            incident = incident_key(report.protocol_id, report.nonce)
            live = range(1, self.gset.n + 1)
            self.timeline.report_published = await self.pipeline.propose(
                report, proposal_delay(incident, self.index, live))
        finally:
            self.pending -= 1

    async def _on_ready(self, ready: ReadyProof) -> None:
        self._combining = True
        self.timeline.combined = trio.current_time()
        self.timeline.digest = ready.digest
        self.timeline.signature = ready.signature
        self.pending += 1
        self._nursery.start_soon(self._race, ready)

    async def _race(self, ready: ReadyProof) -> None:
        """The pending race's announcement: after race_delay(rank), unless RACERS peers did."""
        charge_to(self.index, "proof")
        try:
            rank = submission_rank(ready.digest, self.index, range(1, self.gset.n + 1))
            await trio.sleep(race_delay(rank))
            if self.timeline.proofs_seen >= RACERS:
                return
            proof = messages.sign_message(messages.Proof(
                incident_id=ready.report.incident_id, digest=ready.digest,
                combined_signature=ready.signature, signers=tuple(sorted(ready.signers)),
                tx_hash=PLACEHOLDER_TX, guardian=self.index, signature=b""),
                self.key.secret, self.backend)
            self.timeline.proof_sent = True
            await self.publish(messages.encode(proof))
        finally:
            self.pending -= 1
