"""The incident pipeline: from a detection (ours or a peer's report) to a combined, verified proof.

  detection ─> Report ─┐                                 ┌─> combine at t ─> verify ─> Submitter
  peer Report ─────────┴─> re-verify against own chain ─> sign Share ─> gossip
  peer Share ─> verified partial stored ──────────────────┘
  peer Proof ─> the submitter stands by

Rules this file enforces:
- A report is signed only after its evidence was observed again on this node's own chain view and
  judged by the pure rule in `protocol.detection`, with every digest field recomputed locally
  (chain id, oracle, key epoch, nonce, the action the registration prescribes, the deadline): see
  `node.verification`. A peer's report is stored, and its incident opened, only after that.
- Duplicate reports of one incident (protocol id + nonce) merge: every guardian orders competing
  reports by `preference_key` and only signs a report better than every one it signed before, so
  signatures converge on one digest instead of splitting between conflicting ones; a stalled
  report no longer holds its incident (`node.signing_rule`).
- Partials are verified against the sender's public share before they are stored (done by the
  gossip validator); at t the combination is verified against the group key before it is handed
  on, and an invalid partial is dropped and attributed to its sender.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import trio

from node import signing_rule
from node.deferred_reports import DeferredReports
from node.detectors.base import Detection
from node.prepared_check import simulated_time
from node.records import ChainView, GuardianKey, ReadyProof, Watched, usable_actions
from node.signing_rule import PREFERENCE_HASH_BYTES, preference_text
from node.stages import StageClock
from node.store import Store, incident_key
from node.verification import OracleView, ReportNotYet, ReportRejected, ReportVerifier
from protocol import messages, threshold
from protocol.detection import (
    EvidenceKind,
    choose_action,
    evidence_shape,
    report_deadline,
)
from protocol.evidence import evidence_hash
from protocol.guardian_set import GuardianSet

log = logging.getLogger("guardian.pipeline")
PEER_REPORTED_CACHE = 4096  # digests remembered for the proposal stand-down (incidents are rare)


class IncidentPipeline:
    def __init__(self, *, key: GuardianKey, guardian_set: GuardianSet, backend, store: Store,
                 view: ChainView, oracle: OracleView, chain_id: int, oracle_address: bytes,
                 watched: Callable[[], dict[bytes, Watched]],
                 publish: Callable[[bytes], Awaitable[None]],
                 on_ready: Callable[[ReadyProof], Awaitable[None]],
                 metrics=None, head_wait_seconds: float = 15.0, simulator=None,
                 stages: StageClock | None = None):
        self.key = key
        self.gset = guardian_set
        self.backend = backend
        self.store = store
        self.view = view
        self.oracle = oracle
        self.chain_id = chain_id
        self.oracle_address = oracle_address
        self.watched = watched
        self.publish = publish
        self.on_ready = on_ready
        self.metrics = metrics
        self.stages = stages or StageClock()
        self.deferred = DeferredReports()  # peer reports to check again once our view catches up
        self.verifier = ReportVerifier(
            chain_id=chain_id, oracle_address=oracle_address, key_epoch=guardian_set.epoch,
            view=view, oracle=oracle, watched=watched, head_wait_seconds=head_wait_seconds,
            simulator=simulator)
        self._lock = trio.Lock()  # one incident decision at a time: no interleaved sign/combine
        self._ready: dict[bytes, bytes] = {}  # combined digest -> incident
        self._detected_at: dict[bytes, float] = {}
        self._peer_reported: OrderedDict[bytes, None] = OrderedDict()  # digests peers reported

    # heads -------------------------------------------------------------------------------------
    async def on_head(self, number: int) -> None:
        """The watch loop's head (the registry was read at it)."""
        await self.verifier.on_head(number)
        self.deferred.on_head(number)

    async def on_tip(self, number: int) -> None:
        """The newest head our node has (node.head_relay), ahead of a lagging watch loop: peers'
        reports about it are checked now, not once the watch loop gets there."""
        await self.verifier.on_tip(number)
        self.deferred.on_head(number)

    # our own detections --------------------------------------------------------------------------
    async def on_detection(self, det: Detection) -> messages.Report | None:
        """Turn a detection into a signed Report, unless this incident is already covered."""
        watched = self.watched().get(det.protocol_id)
        if watched is None or watched.contained:
            return None
        action = choose_action(det.evidence, usable_actions(watched))
        if action is None:
            # The class mapping (protocol.detection.CLASS_ACTIONS): volatility engages only the
            # circuit breaker, and nothing where the protocol did not allow it.
            log.info("%s evidence on protocol 0x%s engages no containment it allows (%s class)",
                     EvidenceKind(det.evidence.kind).name, det.protocol_id.hex()[:12],
                     evidence_shape(det.evidence).name.lower())
            return None
        # The nonce as the registry read it at this head, with the containment state and the
        # release it goes with (not a later "latest" that may already count a new containment).
        nonce = watched.nonce
        incident = incident_key(det.protocol_id, nonce)
        if self.store.reopen_expired(incident):
            log.info("incident 0x%s: its reports expired unauthorized; reporting it again",
                     incident.hex()[:12])
        if self.store.incident_state(incident) == "contained":
            return None
        signed = self.store.own_shares_for(incident)
        if signed and not all(self._stalled(d) for d in signed):
            return None  # already signed a report for this incident: merge, do not re-propose
        if signed:
            log.info("incident 0x%s: the report(s) we signed stalled (pending evidence too old "
                     "for any peer to sign now); reporting it again", incident.hex()[:12])
        timestamp = simulated_time(det.evidence)  # pending or PREPARED: the simulated block's
        if timestamp is None:
            timestamp = await self.oracle.block_timestamp(det.evidence.block_to)
        report = messages.sign_message(messages.Report(
            chain_id=self.chain_id, oracle=self.oracle_address, key_epoch=self.gset.epoch,
            protocol_id=det.protocol_id, action=int(action), nonce=nonce,
            deadline=report_deadline(timestamp), evidence=det.evidence,
            observed_block=det.evidence.block_to, guardian=self.key.index,
            signature=b""), self.key.secret, self.backend)
        self._detected_at.setdefault(incident, time.monotonic())
        if self.metrics:
            self.metrics.incidents.labels(kind=EvidenceKind(det.evidence.kind).name.lower()).inc()
        log.info("detected %s on protocol 0x%s at block %d: %s",
                 EvidenceKind(det.evidence.kind).name, det.protocol_id.hex()[:12],
                 det.evidence.block_to, det.verdict.reason)
        await self.on_report(report, origin="local")  # signs and gossips our share at once
        return report

    async def propose(self, report: messages.Report, delay: float) -> bool:
        """Gossip our own report after `delay` (`protocol.submission.proposal_delay`), unless a
        peer's report with the same digest has arrived by then. True if we published."""
        digest = report.digest()
        if delay > 0:
            await trio.sleep(delay)  # a stagger between proposers, not synchronisation
        if digest in self._peer_reported:
            return False
        await self.publish(messages.encode(report))
        return True

    # reports ---------------------------------------------------------------------------------
    async def on_report(self, report: messages.Report, origin: str = "peer") -> bool:
        """Re-verify a report and sign a share for it if it is the best one for its incident.

        A peer's report enters the store (and opens an incident) only once it has been verified,
        so a report that fails re-verification leaves no state behind but the stand-down note."""
        digest = report.digest()
        incident = incident_key(report.protocol_id, report.nonce)
        signed_it = digest in self.store.own_shares_for(incident)
        if origin != "local":
            self._peer_reported[digest] = None
            while len(self._peer_reported) > PEER_REPORTED_CACHE:
                self._peer_reported.popitem(last=False)
            if not signed_it:  # the report we signed already: nothing to check
                try:
                    await self.verifier.verify(report)
                except ReportNotYet as exc:
                    self.deferred.defer(report, exc.block)
                    log.warning("not signing report 0x%s from guardian %d yet: %s; checking "
                                "again at block %d", digest.hex()[:12], report.guardian, exc,
                                exc.block)
                    return False
                except ReportRejected as exc:
                    self.deferred.done(report)
                    log.warning("not signing report 0x%s from guardian %d: %s",
                                digest.hex()[:12], report.guardian, exc)
                    return False
                self.deferred.done(report)
        ev_hash = evidence_hash(report.evidence)
        self.store.save_report(digest, incident, report.evidence.block_to, ev_hash,
                               messages.encode(report), origin)
        self._detected_at.setdefault(incident, time.monotonic())
        if origin != "local" and signed_it:
            await self._maybe_combine(digest)
            return True
        async with self._lock:
            replaced = signing_rule.to_sign(
                self.store, self.store.own_shares_for(incident), digest,
                report.evidence.block_to, ev_hash, self.verifier.head, self.is_combined)
            if replaced is not None:
                await self._sign_share(report, digest, incident, replaced)
        await self._maybe_combine(digest)
        return True

    def _stalled(self, digest: bytes) -> bool:
        return signing_rule.stalled(self.store, digest, self.verifier.head, self.is_combined)

    async def _sign_share(self, report: messages.Report, digest: bytes, incident: bytes,
                          replaces: list[bytes] = ()) -> None:
        partial = threshold.partial_sign(self.key.secret, digest, backend=self.backend)
        share = messages.sign_message(messages.Share(
            incident_id=report.incident_id, digest=digest, partial=partial,
            guardian=self.key.index, signature=b""), self.key.secret, self.backend)
        encoded = messages.encode(share)
        # durable before it leaves the node: after a crash we re-publish, never sign anew
        self.store.record_own_share(digest, incident, encoded)
        self.store.save_share(digest, self.key.index, partial)
        self.stages.mark(incident, "own_share")
        log.info("signed share for digest 0x%s (protocol 0x%s nonce %d) %s%s", digest.hex()[:12],
                 report.protocol_id.hex()[:12], report.nonce, preference_text(report.evidence),
                 signing_rule.replaces_text(replaces))
        await self.publish(encoded)

    def has_report(self, digest: bytes) -> bool:
        """We hold this digest's report, or a peer's copy of it reached us (being checked,
        deferred, or refused): asking for it again would change nothing."""
        return digest in self._peer_reported or self.store.report(digest) is not None

    async def verify_report(self, report: messages.Report) -> None:
        """Raise ReportRejected unless the report survives re-verification (node.verification)."""
        await self.verifier.verify(report)

    # shares ----------------------------------------------------------------------------------
    async def on_share(self, share: messages.Share) -> None:
        """A peer's partial, already verified against its public share by the gossip validator."""
        if self.store.save_share(share.digest, share.guardian, share.partial):
            if self.metrics:
                self.metrics.shares.labels(result="valid").inc()
        await self._maybe_combine(share.digest)

    async def _maybe_combine(self, digest: bytes) -> None:
        if digest in self._ready:
            return
        stored = self.store.report(digest)
        partials = self.store.shares_for(digest)
        if stored is None or len(partials) < self.gset.threshold:
            return
        report = messages.decode(stored.encoded)
        incident = incident_key(report.protocol_id, report.nonce)
        self.stages.mark(incident, "threshold_shares")
        try:
            # partials were verified on arrival (gossip validator): one group-key check here
            result = threshold.optimistic_combine(self.gset, digest, partials, backend=self.backend)
        except threshold.NotEnoughValidShares as exc:
            for bad in exc.invalid_indices:
                self.store.drop_share(digest, bad, "partial does not verify")
                log.warning("guardian %d sent an invalid partial for digest 0x%s", bad,
                            digest.hex()[:12])
            return
        for bad in result.invalid_indices:
            self.store.drop_share(digest, bad, "partial does not verify")
            log.warning("guardian %d sent an invalid partial for digest 0x%s", bad,
                        digest.hex()[:12])
        self._ready[digest] = incident
        self.stages.mark(incident, "combined")
        log.info("combined %d shares for digest 0x%s", len(result.signers), digest.hex()[:12])
        await self.on_ready(ReadyProof(report, digest, result.signature, result.signers,
                                       self._detected_at.get(incident, time.monotonic())))

    # resume ----------------------------------------------------------------------------------
    async def resume(self) -> int:
        """After a restart: re-publish our shares of open incidents, each after the report it
        signs, and re-check combinations."""
        count = 0
        for digest, _incident, encoded in self.store.open_own_shares():
            stored = self.store.report(digest)
            if stored is not None:  # the report first: peers that missed it cannot sign without it
                await self.publish(stored.encoded)
            await self.publish(encoded)
            count += 1
        for incident in self.store.open_incidents():
            for stored in self.store.reports_for(incident):
                await self._maybe_combine(stored.digest)
        return count

    def contained(self, protocol_id: bytes, nonce: int, tx_hash: bytes | None,
                  block: int | None) -> None:
        self.store.mark_contained(incident_key(protocol_id, nonce), tx_hash, block)

    # lifecycle (node.lifecycle) ----------------------------------------------------------------
    def is_combined(self, digest: bytes) -> bool:
        return digest in self._ready

    def incidents_in_memory(self) -> set[bytes]:
        return set(self._detected_at) | set(self._ready.values())

    def forget(self, incident: bytes) -> None:
        """Drop what this pipeline keeps in memory for a closed (contained or expired) incident."""
        self._detected_at.pop(incident, None)
        for digest in [d for d, i in self._ready.items() if i == incident]:
            del self._ready[digest]


__all__ = ["PREFERENCE_HASH_BYTES", "GuardianKey", "IncidentPipeline", "ReadyProof",
           "ReportRejected", "preference_text"]
