"""A model of one incident's detection-to-proof latency: a discrete-event simulation of the same
protocol over the same kind of mesh and links, where each guardian is a single-server queue whose
service times are the CPU costs measured in the emulated run (node.bench.scale_run).

Events, each served by the guardian's CPU in arrival order:
- detection at a time spread over `detect_jitter`: signing the report and the share (`detect`),
  then the share goes to the mesh peers; the report goes out after the proposal stagger
  (`protocol.submission.proposal_delay`) unless the guardian has seen a peer's report by then;
- a message arriving for the first time: the libp2p per-message cost (`libp2p`, 0 when the model
  reproduces the emulation), its validation (`validate[kind]`) and the node's handling (`other`:
  the measured CPU not otherwise attributed, spread over first copies), then it is forwarded to
  the mesh peers except the sender; a duplicate costs `duplicate`;
- the t-th share (own included): the combination (`combine`), then the proof is announced after
  `race_delay(rank)` unless RACERS proofs arrived first.
With `net.direct` (as the guardians run, node.p2p.direct) a guardian's share, report and proof go
once to every other guardian and are never forwarded; a lost copy arrives `net.retransmit` late
instead (TCP), and each copy costs its receiver `libp2p` (the direct link's per-copy cost).
Transmissions take the link's latency (uniform in [latency_min, latency_max] per link, plus a
uniform jitter) and are lost with probability `loss` (a lost copy is simply missing: the other
mesh peers' copies stand in for it; IHAVE/IWANT is not modelled).

`cores="own"` gives every guardian its own CPU (guardians on their own machines); `cores="one"`
gives all guardians one CPU shared in arrival order (the emulation on this machine), which is how
the model is checked against the measured runs.
"""

from __future__ import annotations

import heapq
import itertools
import random
import statistics
from dataclasses import dataclass, field

from node.bench.scale_net import NetParams, build_mesh
from protocol.submission import (
    PROPOSAL_MAX_DELAY_SECONDS,
    PROPOSAL_STEP_SECONDS,
    RACE_STEP_SECONDS,
    RACERS,
)

LIBP2P_SECONDS_PER_MESSAGE = 0.0035  # py-libp2p, per message per node (measured: 3 to 4 ms)
# A direct link's copy, the sender's framing and write plus the receiver's read (measured with real
# hosts, all CPU of 100 messages / copies delivered: 1.7 ms at 7 members, 2.1 ms at 10).
LIBP2P_DIRECT_SECONDS_PER_COPY = 0.002


@dataclass(frozen=True)
class Costs:
    """CPU seconds per guardian, from a measured run (`from_summary`)."""

    detect: float
    combine: float
    validate: dict[str, float] = field(default_factory=dict)  # per first copy, by kind
    other: float = 0.0  # per first copy: the rest of the measured CPU
    duplicate: float = 0.00002
    libp2p: float = 0.0

    @classmethod
    def from_summary(cls, s: dict, libp2p: float = 0.0, loop: bool = True) -> Costs:
        """Costs per guardian from a measured row; `loop` adds the guardian's part of the
        emulation's event-loop CPU (trio's scheduling, shared by all guardians in one process:
        a node on its own machine runs its own loop)."""
        validate = dict(s["validate_cpu_per_message"])
        firsts = s["messages_received"] - s["duplicates"]
        validated = sum(validate.get(k, 0.0) * c for k, c in s["validated_per_guardian"].items())
        loop_share = max(0.0, s.get("loop_cpu_seconds", 0.0)) / s["guardians"] if loop else 0.0
        rest = (s["cpu_seconds"] + loop_share - s["detect_cpu_seconds"]
                - s["combine_cpu_seconds"] - validated)
        return cls(detect=s["detect_cpu_seconds"], combine=s["combine_cpu_seconds"],
                   validate=validate, other=max(0.0, rest) / max(1.0, firsts), libp2p=libp2p)

    def stretched(self, factor: float) -> Costs:
        """The same work on a CPU `factor` times slower (a loaded machine: see scale_cpu)."""
        return Costs(detect=self.detect * factor, combine=self.combine * factor,
                     validate={k: v * factor for k, v in self.validate.items()},
                     other=self.other * factor, duplicate=self.duplicate * factor,
                     libp2p=self.libp2p * factor)


@dataclass
class Simulated:
    latency: dict[int, float]  # guardian -> first detection to its combination (s)
    transmissions: int = 0  # copies sent over all links, all guardians
    distinct: int = 0  # messages published (shares, reports, proofs)


def simulate(n: int, t: int, costs: Costs, net: NetParams, *, cores: str = "own",
             detect_jitter: float = 0.05, seed: int = 1) -> Simulated:
    """One incident."""
    rng = random.Random(seed)
    mesh = build_mesh(n, net.degree, rng)
    links: dict[tuple[int, int], float] = {}
    free = {i: 0.0 for i in range(1, n + 1)} if cores == "own" else None
    shared = [0.0]
    heap: list = []
    seq = itertools.count()
    seen: dict[int, set] = {i: set() for i in range(1, n + 1)}
    shares = dict.fromkeys(range(1, n + 1), 0)
    reports_seen = dict.fromkeys(range(1, n + 1), False)
    proofs_seen = dict.fromkeys(range(1, n + 1), 0)
    combined: dict[int, float] = {}
    out = Simulated({})
    order = sorted(range(1, n + 1), key=lambda i: rng.random())  # proposal/race ranks

    def at(when, *event):
        heapq.heappush(heap, (when, next(seq), *event))

    def latency(a, b):
        key = (min(a, b), max(a, b))
        if key not in links:
            links[key] = rng.uniform(net.latency_min, net.latency_max)
        return links[key] + rng.uniform(0.0, net.jitter)

    def serve(i, when, cost):
        if free is not None:
            start = max(when, free[i])
            free[i] = start + cost
            return free[i]
        start = max(when, shared[0])
        shared[0] = start + cost
        return shared[0]

    def send(src, msg, when, exclude=None):
        out.distinct += exclude is None
        if net.direct:
            if exclude is not None:
                return  # a direct copy is never forwarded
            for peer in range(1, n + 1):
                if peer != src:
                    out.transmissions += 1
                    late = net.retransmit if rng.random() < net.loss else 0.0
                    at(when + latency(src, peer) + late, "arrive", peer, src, msg)
            return
        for peer in mesh[src]:
            if peer == exclude:
                continue
            out.transmissions += 1
            if rng.random() >= net.loss:
                at(when + latency(src, peer), "arrive", peer, src, msg)

    def count_share(i, when):
        shares[i] += 1
        if shares[i] == t and i not in combined:
            combined[i] = serve(i, when, costs.combine)
            at(combined[i] + order.index(i) * RACE_STEP_SECONDS, "race", i)

    starts = {i: rng.uniform(0.0, detect_jitter) for i in range(1, n + 1)}
    for i, d in starts.items():
        at(d, "detect", i)
    while heap:
        when, _, kind, i, *rest = heapq.heappop(heap)
        if kind == "detect":
            done = serve(i, when, costs.detect)
            seen[i].add(("share", i))
            send(i, ("share", i), done)
            count_share(i, done)
            delay = min(order.index(i) * PROPOSAL_STEP_SECONDS, PROPOSAL_MAX_DELAY_SECONDS)
            at(done + delay, "propose", i)
        elif kind == "propose" and not reports_seen[i]:
            reports_seen[i] = True
            seen[i].add(("report", i))
            send(i, ("report", i), when)
        elif kind == "race" and proofs_seen[i] < RACERS:
            seen[i].add(("proof", i))
            send(i, ("proof", i), when)
        elif kind == "arrive":
            src, msg = rest
            if msg in seen[i]:
                serve(i, when, costs.duplicate)
                continue
            seen[i].add(msg)
            cost = costs.libp2p + costs.validate.get(msg[0], 0.0) + costs.other
            done = serve(i, when, cost)
            send(i, msg, done, exclude=src)
            if msg[0] == "share":
                count_share(i, done)
            elif msg[0] == "report":
                reports_seen[i] = True
            elif msg[0] == "proof":
                proofs_seen[i] += 1
    first = min(starts.values())
    out.latency = {i: c - first for i, c in combined.items()}
    return out


def predict(n: int, t: int, costs: Costs, net: NetParams, *, cores: str = "own",
            detect_jitter: float = 0.05, runs: int = 5) -> dict:
    """Medians over `runs` simulated incidents of the first, median, t-th and last guardian's
    latency to its combination, and of the messages each guardian sends."""
    stats: dict[str, list[float]] = {"first": [], "median": [], "tth": [], "last": [],
                                     "messages_sent": []}
    for seed in range(1, runs + 1):
        sim = simulate(n, t, costs, net, cores=cores, detect_jitter=detect_jitter, seed=seed)
        stats["messages_sent"].append(sim.transmissions / n)
        lat = sorted(sim.latency.values())
        if len(lat) < n:
            lat += [float("inf")] * (n - len(lat))
        stats["first"].append(lat[0])
        stats["median"].append(lat[(n + 1) // 2 - 1])
        stats["tth"].append(lat[t - 1])
        stats["last"].append(lat[-1])
    return {k: statistics.median(v) for k, v in stats.items()}
