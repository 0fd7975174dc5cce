"""An emulated gossip network for in-process guardians (`scripts/bench scale`).

It stands in for libp2p gossipsub with the guardians' own settings (node.p2p.config: mesh degree
D = 6, a 1 s heartbeat), not for flooding: flooding every message to every member costs n - 1
transmissions per message per node, about 100 x 100 x 100 = a million per incident at 100
guardians, where a mesh of degree 6 costs 6 per node; gossipsub is what the guardians run.

- Topology: every guardian is connected to every other (the members' protected mesh), and keeps a
  gossip mesh of degree D: the complete graph when n <= D + 1, otherwise the union of D / 2 random
  Hamiltonian cycles (connected; degree D, a little less where two cycles share an edge).
- A publisher sends its message to its mesh peers; a guardian that receives a message for the
  first time marks it seen, validates it (the caller's validator, in the guardian's own task) and
  forwards it, if accepted, to its mesh peers except the one it came from. Copies after the first
  are duplicates (counted, dropped on receipt).
- Links: each pair has a base latency drawn once, uniformly from [latency_min, latency_max]; each
  transmission adds a jitter drawn uniformly from [0, jitter].
- Loss: each transmission (messages and control alike) is lost with probability `loss`. What a
  lost copy costs is what gossipsub pays: other mesh peers' copies still arrive, and at every
  heartbeat a guardian announces the ids it saw within the gossip window (IHAVE) to up to D_lazy
  connected peers outside its mesh; a peer missing one asks for it (IWANT) and gets it.

With `direct` (the default, as node.p2p.direct runs it), a guardian's own incident messages go
once to every other guardian over its direct link and nobody forwards them or announces them in
IHAVE; a direct link is a TCP stream, so a lost segment is not a lost message but arrives
`retransmit` seconds late (Linux's minimum retransmission timeout). Other messages (the hostile
test messages, heartbeats) keep to gossip.

Every transmission is counted per guardian: messages, duplicates and bytes sent and received
(payload plus ENVELOPE_BYTES for gossipsub's RPC framing), and control messages (IHAVE, IWANT).
Nothing here is trio-specific except the scheduler (`run`), one task with one heap of deliveries.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import trio

from protocol.gossip_rules import message_id

# gossipsub's RPC framing of one message with strict signing: from (a 38-byte peer id), seqno (8),
# topic (29), an ed25519 signature (64) and protobuf tags. An estimate; payloads are exact.
ENVELOPE_BYTES = 150
DIRECT_ENVELOPE_BYTES = 32  # a direct frame: 4-byte length, yamux header (12), Noise tag (16)
MESSAGE_ID_BYTES = 20
CONTROL_BYTES = 40  # an IHAVE / IWANT frame before its message ids


@dataclass
class Traffic:
    """One guardian's transmissions, since the last reset."""

    sent: int = 0
    sent_bytes: int = 0
    received: int = 0
    received_bytes: int = 0
    duplicates: int = 0
    control_sent: int = 0
    control_bytes: int = 0
    recovered: int = 0  # messages this guardian got by IWANT after copies were lost
    lost: int = 0  # transmissions to this guardian that the network dropped
    rejected: int = 0  # messages this guardian's validator REJECTed (not forwarded)
    retransmitted: int = 0  # direct copies to this guardian that arrived late (a lost segment)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class NetParams:
    degree: int = 6
    lazy_degree: int = 6
    latency_min: float = 0.050
    latency_max: float = 0.150
    jitter: float = 0.010
    loss: float = 0.01
    heartbeat: float = 1.0
    gossip_window: int = 3  # heartbeats a message id is announced for (gossipsub's mcache_gossip)
    direct: bool = True  # own incident messages over direct links (node.p2p.direct)
    retransmit: float = 0.2  # a direct copy's delay when its segment is lost (TCP's minimum RTO)

    def __post_init__(self) -> None:
        if self.degree < 1 or self.lazy_degree < 0:
            raise ValueError("mesh degree must be at least 1")
        if not 0 <= self.latency_min <= self.latency_max:
            raise ValueError("latencies must satisfy 0 <= min <= max")
        if not 0 <= self.loss < 1:
            raise ValueError("loss must be in [0, 1)")
        if self.jitter < 0 or self.heartbeat <= 0 or self.retransmit < 0:
            raise ValueError("jitter and retransmit must be >= 0 and the heartbeat > 0")


def build_mesh(n: int, degree: int, rng: random.Random) -> dict[int, set[int]]:
    """Mesh peers of guardians 1..n (see the module docstring)."""
    nodes = list(range(1, n + 1))
    if n <= degree + 1:
        return {i: set(nodes) - {i} for i in nodes}
    mesh: dict[int, set[int]] = {i: set() for i in nodes}
    for _ in range(max(1, degree // 2)):
        cycle = nodes[:]
        rng.shuffle(cycle)
        for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            mesh[a].add(b)
            mesh[b].add(a)
    return mesh


@dataclass
class _Node:
    deliver: Callable[[int, bytes, bool], None]  # (from guardian, data, direct): to the guardian
    seen: set[bytes] = field(default_factory=set)
    window: list[list[bytes]] = field(default_factory=list)  # ids per heartbeat, newest last
    store: dict[bytes, bytes] = field(default_factory=dict)  # id -> data, for IWANT
    heartbeat_armed: bool = False


class EmulatedNetwork:
    def __init__(self, n: int, params: NetParams, rng: random.Random) -> None:
        self.n = n
        self.params = params
        self.rng = rng
        self.mesh = build_mesh(n, params.degree, rng)
        self.traffic = {i: Traffic() for i in range(1, n + 1)}
        self._links: dict[tuple[int, int], float] = {}
        self._nodes: dict[int, _Node] = {}
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._wake = trio.Event()
        self._phase = {i: rng.random() * params.heartbeat for i in range(1, n + 1)}

    def attach(self, index: int, deliver: Callable[[int, bytes], None]) -> None:
        self._nodes[index] = _Node(deliver)

    # sending -----------------------------------------------------------------------------------
    def latency(self, a: int, b: int) -> float:
        key = (min(a, b), max(a, b))
        if key not in self._links:
            p = self.params
            self._links[key] = self.rng.uniform(p.latency_min, p.latency_max)
        return self._links[key] + self.rng.uniform(0.0, self.params.jitter)

    def _at(self, when: float, action: Callable[[], None]) -> None:
        if not self._heap or when < self._heap[0][0]:
            self._wake.set()
        heapq.heappush(self._heap, (when, next(self._seq), action))

    def _transmit(self, src: int, dst: int, data: bytes, direct: bool = False) -> None:
        size = len(data) + (DIRECT_ENVELOPE_BYTES if direct else ENVELOPE_BYTES)
        self.traffic[src].sent += 1
        self.traffic[src].sent_bytes += size
        delay = self.latency(src, dst)
        if self.rng.random() < self.params.loss:
            if not direct:
                self.traffic[dst].lost += 1
                return
            self.traffic[dst].retransmitted += 1
            delay += self.params.retransmit
        self._at(trio.current_time() + delay, lambda: self._arrive(src, dst, data, size, direct))

    def _arrive(self, src: int, dst: int, data: bytes, size: int, direct: bool) -> None:
        """gossipsub marks a message seen on receipt, before it waits for validation: a copy
        queued behind others is not asked for again (IWANT) and later copies are dropped."""
        traffic = self.traffic[dst]
        traffic.received += 1
        traffic.received_bytes += size
        if self.first_seen(dst, data, announce=not direct):
            self._nodes[dst].deliver(src, data, direct)

    def publish(self, src: int, data: bytes, *, flood: bool = False) -> None:
        """A guardian's own message: to its mesh peers, or with `flood` (its incident messages)
        to every other guardian: over direct links when `params.direct`, else by gossip as
        node.p2p.router floods (and then every receiver forwards it to its mesh)."""
        direct = flood and self.params.direct
        self.first_seen(src, data, announce=not direct)
        for peer in (p for p in range(1, self.n + 1) if p != src) if flood else self.mesh[src]:
            self._transmit(src, peer, data, direct)

    def forward(self, src: int, data: bytes, came_from: int) -> None:
        """An accepted message, forwarded to the mesh except where it came from."""
        for peer in self.mesh[src]:
            if peer != came_from:
                self._transmit(src, peer, data)

    def first_seen(self, index: int, data: bytes, announce: bool = True) -> bool:
        """gossipsub's seen cache: True the first time `index` sees these bytes (announced in
        IHAVE unless it came over a direct link)."""
        node = self._nodes[index]
        mid = message_id(data)
        if mid in node.seen:
            self.traffic[index].duplicates += 1
            return False
        node.seen.add(mid)
        if not announce:
            return True
        node.store[mid] = data
        if not node.window:
            node.window.append([])
        node.window[-1].append(mid)
        if not node.heartbeat_armed:
            node.heartbeat_armed = True
            self._at(self._next_heartbeat(index), lambda: self._heartbeat(index))
        return True

    # gossip: IHAVE / IWANT -------------------------------------------------------------------
    def _next_heartbeat(self, index: int) -> float:
        period = self.params.heartbeat
        now = trio.current_time()
        k = int((now - self._phase[index]) // period) + 1
        return self._phase[index] + k * period

    def _heartbeat(self, index: int) -> None:
        node = self._nodes[index]
        announce = [mid for ids in node.window for mid in ids]
        node.window.append([])
        del node.window[:-self.params.gossip_window]
        others = [p for p in range(1, self.n + 1) if p != index and p not in self.mesh[index]]
        targets = self.rng.sample(others, min(self.params.lazy_degree, len(others)))
        for peer in targets if announce else ():
            self._control(index, peer, len(announce),
                          lambda peer=peer: self._ihave(index, peer, announce))
        if any(node.window):
            self._at(self._next_heartbeat(index) + 1e-9, lambda: self._heartbeat(index))
        else:
            node.heartbeat_armed = False

    def _control(self, src: int, dst: int, ids: int, then: Callable[[], None]) -> None:
        traffic = self.traffic[src]
        traffic.control_sent += 1
        traffic.control_bytes += CONTROL_BYTES + ids * MESSAGE_ID_BYTES
        if self.rng.random() < self.params.loss:
            return
        self._at(trio.current_time() + self.latency(src, dst), then)

    def _ihave(self, src: int, dst: int, ids: list[bytes]) -> None:
        missing = [mid for mid in ids if mid not in self._nodes[dst].seen]
        if missing:
            self._control(dst, src, len(missing), lambda: self._iwant(src, dst, missing))

    def _iwant(self, src: int, dst: int, ids: list[bytes]) -> None:
        for mid in ids:
            data = self._nodes[src].store.get(mid)
            if data is not None and mid not in self._nodes[dst].seen:
                self.traffic[dst].recovered += 1
                self._transmit(src, dst, data)

    # the scheduler ---------------------------------------------------------------------------
    def idle(self) -> bool:
        return not self._heap

    async def run(self) -> None:
        """Deliver everything scheduled, each at its time; runs until cancelled."""
        while True:
            while self._heap and self._heap[0][0] <= trio.current_time():
                _, _, action = heapq.heappop(self._heap)
                action()
            self._wake = trio.Event()
            deadline = self._heap[0][0] if self._heap else float("inf")
            with trio.move_on_at(deadline):
                await self._wake.wait()

    def reset_traffic(self) -> dict[int, Traffic]:
        """Counters since the last reset, and start new ones (one incident each)."""
        out, self.traffic = self.traffic, {i: Traffic() for i in range(1, self.n + 1)}
        return out
