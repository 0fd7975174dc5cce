"""Node status and liveness: what `/status` reports, and the heartbeats that tell peers this
guardian is alive.

Liveness is more than a display: the guardians heard from within LIVENESS_SECONDS are the input
of the proposal and submission order (`protocol.submission`), so every node agrees on who goes
first only as well as heartbeats arrive.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import trio

from node.attribution import BlameLedger
from node.records import BlockHeader, GuardianKey
from node.stages import StageClock
from protocol import messages

log = logging.getLogger("guardian.status")

HEARTBEAT_SECONDS = 5.0  # liveness only; every message costs each node ~3-4 ms of libp2p CPU
FAST_BEAT_SECONDS = 0.25  # a beat at most this soon after a mesh change (start-up, reconnects)
LIVENESS_SECONDS = 16.0
DELIVERY_WINDOW_SECONDS = 60.0


@dataclass
class NodeState:
    """What `/status` reports; written only by the daemon's own services."""

    name: str
    index: int
    started_at: float = field(default_factory=time.time)
    head: int = 0
    scanned: int = 0  # the last block the detectors judged (head - scanned: the backlog)
    peers: int = 0
    mesh_peers: int = 0
    last_seen: dict[int, float] = field(default_factory=dict)
    incidents: dict[str, dict] = field(default_factory=dict)
    contained: list[dict] = field(default_factory=list)  # containments this node submitted
    contained_protocols: list[str] = field(default_factory=list)  # contained now, per the oracle
    failed_containments: dict[str, dict] = field(default_factory=dict)  # hook failed: not contained
    p2p: dict = field(default_factory=dict)  # offence totals and top offenders (bounded)
    protocols: int = 0
    ready: bool = False
    deliveries_ms: deque = field(default_factory=lambda: deque(maxlen=2000))  # (monotonic, ms)
    blame: BlameLedger = field(default_factory=BlameLedger)  # guardians caught misbehaving
    silent: dict[str, list[int]] = field(default_factory=dict)  # incident -> live, no share
    stages: StageClock = field(default_factory=StageClock)  # each incident's stage times

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

    def live(self) -> list[int]:
        """Guardians heard from recently, this one included: the input of submission rank."""
        return sorted(set(self.live_guardians()) | {self.index})

    def as_dict(self) -> dict:
        return {"name": self.name, "guardian": self.index, "ready": self.ready,
                "uptime_seconds": round(time.time() - self.started_at, 1), "head": self.head,
                "scanned": self.scanned,
                "peers": self.peers, "mesh_peers": self.mesh_peers, "protocols": self.protocols,
                "live_guardians": sorted(set(self.live_guardians()) | {self.index}),
                "incidents": self.incidents, "contained": self.contained,
                "contained_protocols": self.contained_protocols,
                "failed_containments": self.failed_containments,
                "p2p": self.p2p, "gossip_delivery": self.delivery_stats(),
                "blamed": self.blame.blamed(), "silent": self.silent,
                "stages": self.stages.as_dict()}


class Heartbeats:
    """Publishes a signed Heartbeat (our head) every period and refreshes the peer counts."""

    def __init__(self, *, state: NodeState, key: GuardianKey, key_epoch: int, backend, p2p,
                 publish: Callable[[bytes], Awaitable[None]], header: Callable[[], BlockHeader | None],
                 metrics=None, period: float = HEARTBEAT_SECONDS) -> None:
        self.state = state
        self.key = key
        self.key_epoch = key_epoch
        self.backend = backend
        self.p2p = p2p
        self.publish = publish
        self.header = header
        self.metrics = metrics
        self.period = period

    async def run(self) -> None:
        while True:
            header = self.header()
            if header is not None:
                beat = messages.sign_message(messages.Heartbeat(
                    head_block=header.number, head_hash=header.hash,
                    timestamp=int(time.time() * 1000),
                    key_epoch=self.key_epoch, guardian=self.key.index, signature=b""),
                    self.key.secret, self.backend)
                try:
                    await self.publish(messages.encode(beat))
                except Exception as exc:  # noqa: BLE001 - no peers yet, say
                    log.debug("heartbeat not published: %s", exc)
            self.state.peers = self.p2p.peer_count()
            self.state.mesh_peers = self.p2p.mesh_peer_count()
            self.state.p2p = self.p2p.peer_report()
            if self.metrics:
                self.metrics.set_peers(self.state.peers, self.state.mesh_peers)
            await self._until_next_beat(header is not None)

    async def _until_next_beat(self, had_head: bool) -> None:
        """A period; sooner when the mesh grew or the first head arrived, so that a starting
        network hears of every member in about a second instead of a period (a peer that joins
        the mesh after our beat would otherwise wait a whole period to learn we are alive)."""
        mesh = self.p2p.mesh_peer_count()
        deadline = trio.current_time() + self.period
        while trio.current_time() < deadline:
            await trio.sleep(min(FAST_BEAT_SECONDS, self.period))  # polling the library's mesh
            if self.p2p.mesh_peer_count() > mesh or (not had_head and self.header() is not None):
                return
