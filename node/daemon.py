"""The guardian daemon: every service in one trio nursery.

    heads ──> registry ──> detectors ──> pipeline <── gossip (reports, shares, proofs, heartbeats)
                                            │
                                            └──> submitter ──> oracle

Each service owns one concern; they talk through bounded memory channels or plain calls, and none
reaches into another's state. `Guardian` takes its parts ready-made (tests build several in one
process); `run_node` builds them from a validated config file.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import trio

from node.chain.heads import HeadWatcher
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.view import RpcChainView
from node.detectors import Detector, default_detectors
from node.pipeline import GuardianKey, IncidentPipeline, ReadyProof
from node.records import BlockHeader
from node.store import Store, incident_key
from node.submitter import Submitter
from protocol import gossip_rules, messages
from protocol.guardian_set import GuardianSet
from protocol.submission import proposal_delay

log = logging.getLogger("guardian.daemon")

HEARTBEAT_SECONDS = 5.0  # liveness only; every message costs each node ~3-4 ms of libp2p CPU
LIVENESS_SECONDS = 16.0
DELIVERY_WINDOW_SECONDS = 60.0
INBOUND_BUFFER = 256
DECODED_CACHE = 1024


@dataclass
class NodeState:
    """What `/status` reports; written only by the daemon's own services."""

    name: str
    index: int
    started_at: float = field(default_factory=time.time)
    head: int = 0
    peers: int = 0
    mesh_peers: int = 0
    last_seen: dict[int, float] = field(default_factory=dict)
    incidents: dict[str, dict] = field(default_factory=dict)
    contained: list[dict] = field(default_factory=list)  # containments this node submitted
    contained_protocols: list[str] = field(default_factory=list)  # contained now, per the oracle
    rejected: dict[str, int] = field(default_factory=dict)
    protocols: int = 0
    ready: bool = False
    deliveries_ms: deque = field(default_factory=lambda: deque(maxlen=2000))  # (monotonic, ms)

    def note_delivery(self, ms: float, now: float | None = None) -> None:
        """Gossip delivery time of a peer's heartbeat (sender's clock to ours)."""
        self.deliveries_ms.append((now if now is not None else time.monotonic(), max(0.0, ms)))

    def delivery_stats(self, now: float | None = None) -> dict:
        """Delivery percentiles over the last DELIVERY_WINDOW_SECONDS: the network as it is now,
        not as it was while every process on the machine was still starting."""
        now = now if now is not None else time.monotonic()
        data = sorted(ms for t, ms in self.deliveries_ms if now - t <= DELIVERY_WINDOW_SECONDS)
        if not data:
            return {"samples": 0, "window_seconds": DELIVERY_WINDOW_SECONDS}
        return {"samples": len(data), "window_seconds": DELIVERY_WINDOW_SECONDS,
                "p50_ms": round(data[len(data) // 2], 2),
                "p99_ms": round(data[min(len(data) - 1, int(len(data) * 0.99))], 2)}

    def live_guardians(self, now: float | None = None) -> list[int]:
        now = now if now is not None else time.monotonic()
        return [i for i, t in self.last_seen.items() if now - t < LIVENESS_SECONDS]

    def as_dict(self) -> dict:
        return {"name": self.name, "guardian": self.index, "ready": self.ready,
                "uptime_seconds": round(time.time() - self.started_at, 1), "head": self.head,
                "peers": self.peers, "mesh_peers": self.mesh_peers, "protocols": self.protocols,
                "live_guardians": sorted(set(self.live_guardians()) | {self.index}),
                "incidents": self.incidents, "contained": self.contained,
                "contained_protocols": self.contained_protocols,
                "rejected_by_peer": self.rejected, "gossip_delivery": self.delivery_stats()}


class Guardian:
    """One guardian node, from ready-made parts."""

    def __init__(self, *, name: str, key: GuardianKey, guardian_set: GuardianSet, backend,
                 store: Store, oracle: OracleClient, p2p, ws_url: str, bridge,
                 chain_id: int, oracle_address: bytes, metrics=None,
                 detectors: Sequence[Detector] | None = None, stagger_seconds: float = 2.0,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
        self.name = name
        self.key = key
        self.gset = guardian_set
        self.backend = backend
        self.store = store
        self.oracle = oracle
        self.p2p = p2p
        self.metrics = metrics
        self.detectors = list(detectors) if detectors is not None else default_detectors()
        self.heartbeat_seconds = heartbeat_seconds
        self.state = NodeState(name=name, index=key.index)
        self.registry = RegistryTracker(oracle)
        self.view = RpcChainView(oracle.rpc)
        self.heads = HeadWatcher(ws_url, oracle.rpc, bridge)
        self._header: BlockHeader | None = None
        self._seen_ids: OrderedDict[bytes, None] = OrderedDict()
        self._decoded: OrderedDict[bytes, messages.Message] = OrderedDict()
        self._nursery: trio.Nursery | None = None
        self.pipeline = IncidentPipeline(
            key=key, guardian_set=guardian_set, backend=backend, store=store, view=self.view,
            oracle=oracle, chain_id=chain_id, oracle_address=oracle_address,
            watched=self.registry.watched, publish=self.publish, on_ready=self._on_ready,
            metrics=metrics)
        self.submitter = Submitter(
            key=key, backend=backend, store=store, client=oracle, publish=self.publish,
            live=self._live, stagger_seconds=stagger_seconds, on_contained=self._on_contained,
            metrics=metrics)

    # gossip ------------------------------------------------------------------------------------
    def _context(self) -> gossip_rules.ValidationContext:
        return gossip_rules.ValidationContext(
            guardian_set=self.gset, chain_id=self.pipeline.chain_id,
            oracle=self.pipeline.oracle_address, head_block=self.state.head, now=int(time.time()),
            seen=frozenset(), own_index=self.key.index)

    def validate(self, peer_id: str, data: bytes):
        """The p2p topic validator: the rules of `protocol.gossip_rules`, never raising."""
        verdict, reason, msg = gossip_rules.validate_bytes(data, self._context(), self.backend)
        if verdict is gossip_rules.Verdict.REJECT:
            self.state.rejected[peer_id] = self.state.rejected.get(peer_id, 0) + 1
            sender = f" (claims guardian {msg.guardian})" if msg is not None else ""
            log.warning("rejected message from peer %s%s: %s", peer_id, sender, reason)
            if self.metrics:
                self.metrics.message_rejected(_kind(msg))
        elif verdict is gossip_rules.Verdict.ACCEPT and msg is not None:
            self._decoded[gossip_rules.message_id(data)] = msg
            while len(self._decoded) > DECODED_CACHE:
                self._decoded.popitem(last=False)
        return verdict

    async def publish(self, data: bytes) -> None:
        self._remember(gossip_rules.message_id(data))
        await self.p2p.publish(data)
        if self.metrics:
            self.metrics.message_out(_kind_of_bytes(data))

    def _remember(self, mid: bytes) -> bool:
        """True if the message id is new (application-level dedup)."""
        if mid in self._seen_ids:
            return False
        self._seen_ids[mid] = None
        while len(self._seen_ids) > 4 * DECODED_CACHE:
            self._seen_ids.popitem(last=False)
        return True

    async def _gossip_loop(self) -> None:
        async for _peer, data in self.p2p.inbound:
            mid = gossip_rules.message_id(data)
            if not self._remember(mid):
                continue
            msg = self._decoded.pop(mid, None)
            if msg is None:
                try:
                    msg = messages.decode(data, self.backend)
                except messages.MessageError:
                    continue  # validated before; cannot happen, but never crash the node
            if self.metrics:
                self.metrics.message_in(_kind(msg))
            self.state.last_seen[msg.guardian] = time.monotonic()
            if isinstance(msg, messages.Heartbeat) and msg.guardian != self.key.index:
                self.state.note_delivery(time.time() * 1000 - msg.timestamp)
            if isinstance(msg, messages.Report):
                self._nursery.start_soon(self._handle_report, msg)
            elif isinstance(msg, messages.Share):
                await self.pipeline.on_share(msg)
            elif isinstance(msg, messages.Proof):
                self.submitter.peer_proof(msg)

    async def _handle_report(self, report: messages.Report) -> None:
        try:
            await self.pipeline.on_report(report)
        except Exception:  # noqa: BLE001 - one bad report must not take the node down
            log.exception("handling report from guardian %d failed", report.guardian)

    # chain -------------------------------------------------------------------------------------
    async def _head_loop(self, heads: trio.MemoryReceiveChannel[BlockHeader]) -> None:
        async for header in heads:
            self._header = header
            self.state.head = header.number
            try:
                events = await self.registry.on_head(header.number)
            except Exception as exc:  # noqa: BLE001 - RPC trouble: try again next head
                log.warning("registry update at block %d failed: %s", header.number, exc)
                continue
            for name in events:
                log.info("oracle event %s at block <= %d", name, header.number)
            self._note_containments()
            self.state.protocols = len(self.registry.watched())
            self.state.contained_protocols = sorted(
                "0x" + pid.hex() for pid, w in self.registry.watched().items() if w.contained)
            await self.pipeline.on_head(header.number)
            await self._detect(header.number)

    def _note_containments(self) -> None:
        for pid, watched in self.registry.watched().items():
            if watched.contained:
                for incident in self.store.open_incidents():
                    if incident[:32] == pid:
                        for stored in self.store.reports_for(incident):
                            self.submitter.contained(stored.digest)
                        self.store.mark_contained(incident, None, self.state.head)

    async def _detect(self, head: int) -> None:
        for watched in self.registry.watched().values():
            if watched.contained:
                continue
            for detector in self.detectors:
                try:
                    found = await detector.scan(self.view, watched, head)
                except Exception as exc:  # noqa: BLE001 - a failing read skips this head only
                    log.warning("%s detector failed at block %d: %s", detector.name, head, exc)
                    continue
                for det in found:
                    report = await self.pipeline.on_detection(det)
                    if report is not None:
                        self.state.incidents[report.incident_id.hex()] = {
                            "protocol": "0x" + det.protocol_id.hex(), "kind": detector.name,
                            "block": det.evidence.block_to, "reason": det.verdict.reason}
                        self._nursery.start_soon(self._propose, report)
                        return  # one report per head is enough; the incident is open

    async def _propose(self, report: messages.Report) -> None:
        delay = proposal_delay(incident_key(report.protocol_id, report.nonce), self.key.index,
                               self._live())
        published = await self.pipeline.propose(report, delay)
        self.state.incidents[report.incident_id.hex()]["report_published"] = published

    async def _heartbeat_loop(self) -> None:
        while True:
            header = self._header
            if header is not None:
                beat = messages.sign_message(messages.Heartbeat(
                    head_block=header.number, head_hash=header.hash,
                    timestamp=int(time.time() * 1000),
                    key_epoch=self.gset.epoch, guardian=self.key.index, signature=b""),
                    self.key.secret, self.backend)
                try:
                    await self.publish(messages.encode(beat))
                except Exception as exc:  # noqa: BLE001 - no peers yet, say
                    log.debug("heartbeat not published: %s", exc)
            self.state.peers = self.p2p.peer_count()
            self.state.mesh_peers = self.p2p.mesh_peer_count()
            if self.metrics:
                self.metrics.set_peers(self.state.peers, self.state.mesh_peers)
            await trio.sleep(self.heartbeat_seconds)  # a period, not synchronisation

    def _live(self) -> list[int]:
        return sorted(set(self.state.live_guardians()) | {self.key.index})

    # incidents ---------------------------------------------------------------------------------
    async def _on_ready(self, ready: ReadyProof) -> None:
        info = self.state.incidents.setdefault(ready.report.incident_id.hex(), {})
        info.update({"digest": "0x" + ready.digest.hex(), "signers": list(ready.signers)})
        await self.submitter.submit_when_due(ready)

    async def _on_contained(self, ready: ReadyProof, tx_hash: bytes, receipt) -> None:
        entry = {"protocol": "0x" + ready.report.protocol_id.hex(), "nonce": ready.report.nonce,
                 "tx": "0x" + tx_hash.hex(), "block": receipt.block, "gas": receipt.gas_used,
                 "signers": list(ready.signers), "submitted_by_me": True,
                 "detection_to_submission_s": round(
                     self.submitter.sent_at.get(ready.digest, time.monotonic())
                     - ready.detected_at, 3),
                 "detection_to_confirmation_s": round(time.monotonic() - ready.detected_at, 3)}
        self.state.contained.append(entry)
        self.pipeline.contained(ready.report.protocol_id, ready.report.nonce, tx_hash,
                                receipt.block)

    # lifetime ----------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        heads_send, heads_recv = trio.open_memory_channel[BlockHeader](8)
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            await nursery.start(self.p2p.run)
            await nursery.start(self.submitter.run)
            nursery.start_soon(self._gossip_loop)
            await nursery.start(self.heads.run, heads_send)
            republished = await self.pipeline.resume()
            if republished:
                log.info("resumed: re-published %d share(s) of open incidents", republished)
            nursery.start_soon(self._head_loop, heads_recv)
            nursery.start_soon(self._heartbeat_loop)
            self.state.ready = True
            log.info("guardian %d (%s) running", self.key.index, self.name)
            task_status.started(self)


def _kind(msg) -> str:
    return type(msg).__name__.lower() if msg is not None else "malformed"


def _kind_of_bytes(data: bytes) -> str:
    for kind in ("report", "share", "proof", "heartbeat"):
        if kind.encode() in data[:32]:
            return kind
    return "unknown"
