"""Prometheus metrics of one guardian, in a private registry (several nodes may share a process
in tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

KINDS = ("report", "share", "proof", "heartbeat", "request", "malformed", "unknown")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.peers = Gauge("guardian_peers", "Connected libp2p peers", registry=r)
        self.mesh_peers = Gauge("guardian_mesh_peers", "Peers in the gossip mesh", registry=r)
        self.messages_in = Counter("guardian_messages_in_total", "Accepted gossip messages",
                                   ["type"], registry=r)
        self.messages_out = Counter("guardian_messages_out_total", "Published gossip messages",
                                    ["type"], registry=r)
        self.messages_rejected = Counter("guardian_messages_rejected_total",
                                         "Gossip messages rejected by the validation rules",
                                         ["type"], registry=r)
        self.incidents = Counter("guardian_incidents_total", "Incidents this node detected",
                                 ["kind"], registry=r)
        self.shares = Counter("guardian_shares_total", "Partial signatures received",
                              ["result"], registry=r)
        self.head = Gauge("guardian_chain_head", "Latest block seen", registry=r)
        self.failed_containments = Gauge(
            "guardian_failed_containments",
            "Protocols whose latest containment hook failed (not contained)", registry=r)
        self.detection_to_submission_seconds = Histogram(
            "guardian_detection_to_submission_seconds",
            "Seconds from detecting an incident to the containment transaction confirming",
            buckets=(0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120), registry=r)
        self.submission_gas = Histogram(
            "guardian_submission_gas", "Gas used by containment transactions this node sent",
            buckets=(150_000, 175_000, 200_000, 225_000, 250_000, 300_000, 400_000, 500_000),
            registry=r)
        self.pending_seen = Counter("guardian_pending_seen_total",
                                    "Pending transactions received from the node", registry=r)
        self.pending_dropped = Counter(
            "guardian_pending_dropped_total", "Pending transactions not simulated",
            ["reason"], registry=r)
        self.pending_simulations = Counter(
            "guardian_pending_simulations_total", "Pending transactions simulated",
            ["result"], registry=r)
        self.pending_verdict_seconds = Histogram(
            "guardian_pending_verdict_seconds",
            "Seconds from a pending transaction's arrival to this node's verdict on it",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5), registry=r)
        self.prepared_creations = Counter(
            "guardian_prepared_creations_total",
            "Contract creations seen by the preparation watch", ["result"], registry=r)
        self.prepared_batches = Counter(
            "guardian_prepared_batches_total", "Probe batches of new contracts",
            ["result"], registry=r)
        self.prepared_probes = Counter(
            "guardian_prepared_probes_total", "Probe calls of new contracts simulated",
            registry=r)
        self.prepared_evidence = Counter(
            "guardian_prepared_evidence_total",
            "Probes of new contracts that broke a registered rule (PREPARED evidence)",
            registry=r)
        self.prepared_head_seconds = Histogram(
            "guardian_prepared_head_seconds",
            "Seconds the preparation watch spent on one head (creations and probes)",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8), registry=r)
        self.prepared_bound = Gauge(
            "guardian_prepared_bound", "The preparation watch's fixed bounds per head",
            ["bound"], registry=r)

    def message_in(self, kind: str) -> None:
        self.messages_in.labels(type=kind).inc()

    def message_out(self, kind: str) -> None:
        self.messages_out.labels(type=kind).inc()

    def message_rejected(self, kind: str) -> None:
        self.messages_rejected.labels(type=kind).inc()

    def set_peers(self, peers: int, mesh: int) -> None:
        self.peers.set(peers)
        self.mesh_peers.set(mesh)

    def render(self) -> bytes:
        return generate_latest(self.registry)
