"""Assembling a guardian: the one place that wires the services together.

    heads ──> WatchLoop ──> detectors ──> IncidentPipeline <── GossipIntake <── p2p
                                               │
                                               ├──> Submitter ──> oracle
                                               └── IncidentLifecycle (re-gossip, expiry, pruning)
    Heartbeats ──> p2p                         NodeState <── every service (what /status shows)

`assemble` builds a `Guardian` from ready-made parts (keys, store, oracle client, libp2p
identity); `node.startup.run_node` (one node from a config file) and `node.devnet.inprocess`
(several in one trio run) both use it, so tests run exactly the daemon's wiring.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import trio

from node.attribution import silent_guardians
from node.chain.heads import HeadWatcher
from node.chain.oracle import OracleClient
from node.chain.pending import PendingWatcher
from node.chain.pending_queue import PendingQueue
from node.chain.rawtx import RawTx
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.send_prep import parse_authorize
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.config import PendingSection
from node.cover.gossip import route_validator, split_inbound
from node.detectors import Detector, default_detectors
from node.gossip_intake import FLOODED_KINDS, GossipIntake, kind_of_bytes
from node.head_relay import relay_heads
from node.lifecycle import IncidentLifecycle
from node.pending_loop import PendingLoop
from node.pipeline import IncidentPipeline
from node.prepared_loop import BATCH_SECONDS, PreparedLoop
from node.records import BlockHeader, GuardianKey, ReadyProof, TxReceipt
from node.report_requests import ReportRequests
from node.status import HEARTBEAT_SECONDS, Heartbeats, NodeState
from node.store import Store
from node.submitter import Submitter
from node.verification import ReportContradicted, ReportRejected
from node.watch_loop import WatchLoop
from protocol import gossip_rules, messages
from protocol.digest import protocol_id
from protocol.guardian_set import GuardianSet

log = logging.getLogger("guardian.daemon")
RESUME_PEER_WAIT_SECONDS = 30.0


class Guardian:
    """One guardian node: its services, and `run` to start them in one nursery."""

    def __init__(self, *, name: str, key: GuardianKey, guardian_set: GuardianSet, backend,
                 store: Store, oracle: OracleClient, p2p, intake: GossipIntake, ws_url: str,
                 bridge, chain_id: int, oracle_address: bytes, metrics=None,
                 detectors: Sequence[Detector] | None = None, stagger_seconds: float = 2.0,
                 receipt_timeout: float = 30.0,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, pending=None, cover=None) -> None:
        self.name = name
        self.oracle_address = oracle_address
        self.key = key
        self.store = store
        self.p2p = p2p
        self.intake = intake
        self.state = intake.state
        self.metrics = metrics
        registry = RegistryTracker(oracle)
        view = RpcChainView(oracle.rpc)
        self.heads = HeadWatcher(ws_url, oracle.rpc, bridge)
        pending = PendingSection() if pending is None else pending
        # pending simulation reads through its own RPC client: it never queues behind heads
        simulator = Simulator(ChainRpc(oracle.rpc.url))
        self.pipeline = IncidentPipeline(
            key=key, guardian_set=guardian_set, backend=backend, store=store, view=view,
            oracle=oracle, chain_id=chain_id, oracle_address=oracle_address,
            watched=registry.watched, publish=self.publish, on_ready=self._on_ready,
            metrics=metrics, simulator=simulator, stages=self.state.stages)
        self.submitter = Submitter(
            key=key, backend=backend, store=store, client=oracle, publish=self.publish,
            live=self.state.live, stagger_seconds=stagger_seconds,
            receipt_timeout=receipt_timeout, on_contained=self._on_contained, metrics=metrics,
            tip_margin=int(pending.tip_margin_gwei * 10**9),
            max_tip=int(pending.max_tip_gwei * 10**9),
            max_fee=int(pending.max_fee_gwei * 10**9), stages=self.state.stages,
            sees_mempool=lambda: self.pending_watch is not None and self.pending_watch.connected)
        self.watch = WatchLoop(
            registry=registry, view=view, pipeline=self.pipeline, submitter=self.submitter,
            store=store, state=self.state, metrics=metrics,
            detectors=default_detectors() if detectors is None else detectors)
        self.probe_new_contracts = pending.probe_new_contracts
        self.prepared = PreparedLoop(  # new contracts probed: its own RPC client and timeout
            rpc=ChainRpc(oracle.rpc.url, timeout=BATCH_SECONDS, retries=0),
            header=self._pending_base, watched=registry.watched,
            on_detection=self.watch.open_incident, metrics=metrics)
        self.pending_queue = PendingQueue(pending.queue, metrics)
        self.pending_watch = (PendingWatcher(ws_url, simulator.rpc, bridge, self.pending_queue,
                                             metrics=metrics, divert=self._containment_tx)
                              if pending.max_per_block else None)
        self.pending_loop = PendingLoop(
            queue=self.pending_queue, simulator=simulator, view=RpcChainView(simulator.rpc),
            detectors=self.watch.detectors, header=self._pending_base,
            watched=registry.watched, on_detection=self._pending_detection,
            max_per_block=pending.max_per_block, metrics=metrics, stages=self.state.stages,
            on_creation=self.prepared.on_pending_creation if self.probe_new_contracts else None)
        self.requests = ReportRequests(
            key=key, guardian_set=guardian_set, backend=backend, store=store,
            publish=self.publish, have_report=self.pipeline.has_report)
        self.lifecycle = IncidentLifecycle(
            store=store, pipeline=self.pipeline, submitter=self.submitter, publish=self.publish,
            chain_time=self.watch.chain_time)
        self._combined: dict[str, tuple[float, bytes]] = {}  # incident -> (when, digest)
        self.cover = cover  # node.cover.service.CoverService, or None
        if cover is not None:
            cover.publish = self.publish
        self.heartbeats = Heartbeats(
            state=self.state, key=key, key_epoch=guardian_set.epoch, backend=backend, p2p=p2p,
            publish=self.publish, header=lambda: self.watch.header, metrics=metrics,
            period=heartbeat_seconds)

    def _pending_base(self) -> BlockHeader | None:
        """The newest head the subscription delivered (the watch loop may still be busy with an
        older one): pending transactions are simulated on the chain as it is now."""
        return self.heads.last or self.watch.header

    async def publish(self, data: bytes) -> None:
        self.intake.remember(gossip_rules.message_id(data))
        kind = kind_of_bytes(data)
        await self.p2p.publish(data, flood=kind in FLOODED_KINDS)
        if self.metrics:
            self.metrics.message_out(kind)

    async def _pending_detection(self, det, detector_name: str) -> bool:
        self.submitter.expect_race()  # its nonce and fees are read while the shares gather
        return await self.watch.open_incident(det, detector_name)

    async def _on_tip(self, number: int) -> None:
        """The newest head (node.head_relay): gossip rules and re-verification count from it."""
        self.intake.note_tip(number)
        await self.pipeline.on_tip(number)

    def _containment_tx(self, tx: RawTx) -> bool:
        """A pending `authorize` to our oracle (a peer's containment, or ours) is on its way, not
        an exploit to simulate: the submitter counts it as a racer (node.race_view)."""
        args = parse_authorize(tx.data) if tx.to == self.oracle_address else None
        if args is not None:
            self.submitter.race.seen_in_mempool((protocol_id(args[0]), *args[1:]), tx.hash)
        return args is not None

    async def _on_share(self, share: messages.Share) -> None:
        await self.pipeline.on_share(share)
        self.requests.on_share(share)  # its report never came: ask for it (node.report_requests)

    async def _on_peer_report(self, report: messages.Report) -> None:
        """A peer's report to the pipeline; one our chain contradicts is blamed on its signer
        (re-checked only on that rare path, to tell "wrong" from "not yet visible here")."""
        if report.evidence.pending is not None:
            self.submitter.expect_race()
        if await self.pipeline.on_report(report) or self.pipeline.deferred.waiting(report):
            return  # signed, or to be checked again once our view has caught up
        try:
            await self.pipeline.verify_report(report)
        except ReportContradicted as exc:
            self.state.blame.blame(report.guardian, "false report: our chain contradicts it",
                                   str(exc))
        except ReportRejected:
            pass

    def note_silence(self) -> None:
        """Refresh `state.silent`: live guardians without a share for an incident we combined."""
        signers = {incident: (at, set(self.store.shares_for(digest)))
                   for incident, (at, digest) in self._combined.items()}
        for incident, (_, held) in signers.items():
            if incident in self.state.incidents:
                self.state.incidents[incident]["shares_from"] = sorted(held)
        self.state.silent = silent_guardians(signers, self.state.live(), time.monotonic())

    async def _on_ready(self, ready: ReadyProof) -> None:
        if len(self._combined) < 64:  # bounded: incidents are rare
            self._combined.setdefault(ready.report.incident_id.hex(),
                                      (time.monotonic(), ready.digest))
        info = self.state.incidents.setdefault(ready.report.incident_id.hex(), {})
        info.update({"digest": "0x" + ready.digest.hex(), "signers": list(ready.signers)})
        await self.submitter.submit_when_due(ready)

    async def _on_contained(self, ready: ReadyProof, tx_hash: bytes, receipt: TxReceipt) -> None:
        entry = {"protocol": "0x" + ready.report.protocol_id.hex(), "nonce": ready.report.nonce,
                 "tx": "0x" + tx_hash.hex(), "block": receipt.block, "gas": receipt.gas_used,
                 "signers": list(ready.signers), "submitted_by_me": True,
                 "detection_to_submission_s": round(
                     self.submitter.sent_at.get(ready.digest, time.monotonic())
                     - ready.detected_at, 3),
                 "detection_to_confirmation_s": round(time.monotonic() - ready.detected_at, 3),
                 "sent_unix": round(time.time() - time.monotonic() + self.submitter.sent_at.get(
                     ready.digest, time.monotonic()), 3),
                 "pending": ready.report.evidence.pending is not None}
        self.state.contained.append(entry)
        self.pipeline.contained(ready.report.protocol_id, ready.report.nonce, tx_hash,
                                receipt.block)

    async def _resume(self) -> None:
        """Re-publish what we signed before a restart once someone can hear it: published with
        no mesh peer yet, it went nowhere, and re-gossip comes only 30 s later (issue 17)."""
        with trio.move_on_after(RESUME_PEER_WAIT_SECONDS):
            await self.p2p.wait_for_peers(1, mesh=True)
        republished = await self.pipeline.resume()
        if republished:
            log.info("resumed: re-published %d share(s) of open incidents", republished)

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        heads_send, heads_recv = trio.open_memory_channel[BlockHeader](8)
        tips_send, tips_recv = trio.open_memory_channel[BlockHeader](8)
        async with trio.open_nursery() as nursery:
            await nursery.start(self.p2p.run)
            await nursery.start(self.submitter.run)
            inbound = split_inbound(self.p2p.inbound, self.cover, nursery)
            nursery.start_soon(lambda: self.intake.run(
                inbound, on_report=self._on_peer_report,
                on_share=self._on_share, on_proof=self.submitter.peer_proof,
                on_request=self.requests.on_request))
            await nursery.start(self.requests.run)
            nursery.start_soon(relay_heads, tips_recv, heads_send, self._on_tip)
            await nursery.start(self.heads.run, tips_send)
            nursery.start_soon(self._resume)
            nursery.start_soon(self.pipeline.deferred.run, self._on_peer_report)
            nursery.start_soon(self.watch.run, heads_recv)
            if self.probe_new_contracts:
                nursery.start_soon(self.prepared.run)
            if self.pending_watch is not None:
                await nursery.start(self.pending_watch.run)
                nursery.start_soon(self.pending_loop.run)
            nursery.start_soon(self.heartbeats.run)
            nursery.start_soon(self.lifecycle.run)
            if self.cover is not None:
                nursery.start_soon(self.cover.run)
            self.state.ready = True
            log.info("guardian %d (%s) running", self.key.index, self.name)
            task_status.started(self)


def assemble(*, name: str, key: GuardianKey, guardian_set: GuardianSet, backend, store: Store,
             oracle: OracleClient, ws_url: str, bridge, chain_id: int, oracle_address: bytes,
             identity: bytes, p2p_config, metrics=None, validator_wrap=None, cover_config=None,
             **options) -> Guardian:
    """Build one guardian: the gossip intake first, so that the libp2p service is created with
    its validator, then every other service around them. `validator_wrap(validate)` lets tests
    interpose on validation; `options` go to `Guardian` (detectors, staggers, timeouts)."""
    from node.p2p import P2PService  # libp2p is heavy to import: only when a node is built

    state = NodeState(name=name, index=key.index)
    intake = GossipIntake(guardian_set=guardian_set, backend=backend, index=key.index,
                          chain_id=chain_id, oracle_address=oracle_address, state=state,
                          metrics=metrics)
    cover = None
    if cover_config is not None and cover_config.factory is not None:
        from node.cover.service import CoverService

        cover = CoverService(key=key, guardian_set=guardian_set, backend=backend, oracle=oracle,
                             chain_id=chain_id, oracle_address=oracle_address, config=cover_config,
                             publish=None, live=state.live)
    validate = route_validator(intake.validate, cover)
    validator = validate if validator_wrap is None else validator_wrap(validate)
    p2p = P2PService(p2p_config, identity, validator, link_validator=intake.validate_link)
    return Guardian(name=name, key=key, guardian_set=guardian_set, backend=backend, store=store,
                    oracle=oracle, p2p=p2p, intake=intake, ws_url=ws_url, bridge=bridge,
                    chain_id=chain_id, oracle_address=oracle_address, metrics=metrics,
                    cover=cover, **options)
