"""Run n in-process guardians (node.bench.scale_guardian) on one trio loop over an emulated
gossip network (node.bench.scale_net), and measure each incident.

All guardians detect incident k (the same evidence, so one digest) at times spread uniformly over
`detect_jitter` seconds. An incident ends when every guardian has combined the proof and the
network and every guardian are quiet (no delivery scheduled, nothing queued, no proposal or proof
announcement pending). Per incident and guardian it records gossip messages and bytes, CPU seconds
(thread time, node.bench.scale_cpu), and detection-to-proof latency: from the first detection to
the guardian's own combination of a proof that verifies under the group key.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import trio

from node.bench.scale_cpu import CpuLedger
from node.bench.scale_guardian import EmulatedGuardian, Timeline
from node.bench.scale_net import EmulatedNetwork, NetParams, Traffic
from node.devnet.inprocess import deal
from protocol.bls import get_backend

QUIET_POLL_SECONDS = 0.05  # how often the driver looks whether an incident has ended


@dataclass
class IncidentResult:
    n: int
    t: int
    latency: dict[int, float]  # guardian -> first detection to its own combination (s)
    digests: set[bytes]
    traffic: dict[int, Traffic]
    cpu: dict[int, dict[str, float]]  # guardian -> activity -> seconds (0: the network emulator)
    timelines: dict[int, Timeline]
    wall_seconds: float
    stretch: float  # wall / CPU of the guardians' task steps: the machine's load on this run
    process_cpu: float  # the whole process's CPU in the incident (trio's run loop included)
    mesh_degree: dict[int, int] = field(default_factory=dict)


def default_threshold(n: int) -> int:
    """Two thirds, rounded up: 5 of 7, 11 of 16, 67 of 100."""
    return -(-2 * n // 3)


async def run_incidents(n: int, t: int, incidents: int, net_params: NetParams, *,
                        seed: int = 1, detect_jitter: float = 0.05,
                        incident_timeout: float = 600.0, progress=None,
                        before_incident=None) -> list[IncidentResult]:
    """`before_incident(net, guardians)`, if given, runs at the start of each incident (tests
    inject hostile traffic with it)."""
    backend = get_backend()
    dealing, gset = deal(n, t, backend, seed=seed)
    rng = random.Random(seed)
    net = EmulatedNetwork(n, net_params, rng)
    ledger = CpuLedger()
    trio.lowlevel.add_instrument(ledger)
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="guardian-scale-", dir=_fast_tmp()) as tmp:
            head_time = int(time.time())  # one chain: every guardian reads the same timestamp
            guardians = {i: EmulatedGuardian(index=i, share=dealing.shares[i - 1], gset=gset,
                                             backend=backend, net=net, data_dir=Path(tmp),
                                             incidents=incidents, head_time=head_time)
                         for i in range(1, n + 1)}
            async with trio.open_nursery() as nursery:
                nursery.start_soon(net.run)
                for g in guardians.values():
                    await nursery.start(g.run)
                for k in range(incidents):
                    results.append(await _one_incident(k, n, t, guardians, net, ledger, rng,
                                                       detect_jitter, incident_timeout,
                                                       before_incident))
                    if progress:
                        progress(f"  n={n}: incident {k + 1}/{incidents} done in "
                                 f"{results[-1].wall_seconds:.1f} s wall")
                nursery.cancel_scope.cancel()
    finally:
        trio.lowlevel.remove_instrument(ledger)
    return results


async def _one_incident(k, n, t, guardians, net, ledger, rng, detect_jitter,
                        timeout, before_incident) -> IncidentResult:
    net.reset_traffic()
    ledger.take()
    process_start = time.process_time()
    for g in guardians.values():
        g.new_incident()
    start = trio.current_time()
    if before_incident is not None:
        before_incident(net, guardians)
    for g in guardians.values():
        g.detect(k, rng.uniform(0.0, detect_jitter))
    with trio.fail_after(timeout):
        # not synchronisation of anything measured: the driver waits for the incident to end
        while not (all(g.timeline.combined is not None for g in guardians.values())
                   and net.idle() and not any(g.busy() for g in guardians.values())):
            await trio.sleep(QUIET_POLL_SECONDS)
    wall = trio.current_time() - start
    process_cpu = time.process_time() - process_start
    timelines = {i: g.new_incident() for i, g in guardians.items()}
    first = min(tl.detected for tl in timelines.values())
    stretch = ledger.stretch()
    cpu: dict[int, dict[str, float]] = {}
    for (owner, activity), seconds in ledger.take().items():
        cpu.setdefault(owner, {})[activity] = seconds
    return IncidentResult(
        n=n, t=t, latency={i: tl.combined - first for i, tl in timelines.items()},
        digests={tl.digest for tl in timelines.values()}, traffic=net.reset_traffic(), cpu=cpu,
        timelines=timelines, wall_seconds=wall, stretch=stretch,
        process_cpu=process_cpu,
        mesh_degree={i: len(peers) for i, peers in net.mesh.items()})


def summarize(results: list[IncidentResult]) -> dict:
    """Per-guardian means per incident, and latency order statistics (medians over incidents)."""
    n, t = results[0].n, results[0].t
    per_guardian = []  # (guardian, incident) rows
    for r in results:
        for i in range(1, n + 1):
            tr = r.traffic[i]
            per_guardian.append({
                "sent": tr.sent, "received": tr.received, "duplicates": tr.duplicates,
                "sent_bytes": tr.sent_bytes, "received_bytes": tr.received_bytes,
                "control": tr.control_sent, "control_bytes": tr.control_bytes,
                "recovered": tr.recovered, "lost": tr.lost,
                "cpu": sum(r.cpu.get(i, {}).values()),
                "combine_cpu": r.timelines[i].combine_cpu,
                # the detection task's own steps (report, share, proposal): the ledger's count,
                # not thread time around the call, which a checkpoint inside would inflate
                "detect_cpu": r.cpu.get(i, {}).get("detect", 0.0)})

    def mean(key):
        return statistics.fmean(row[key] for row in per_guardian)

    def order(rank):
        return statistics.median(sorted(r.latency.values())[rank - 1] for r in results)

    validate: dict[str, tuple[float, int]] = {}
    for r in results:
        for tl in r.timelines.values():
            for kind, secs in tl.validate_cpu.items():
                total, count = validate.get(kind, (0.0, 0))
                validate[kind] = (total + secs, count + tl.validated[kind])
    return {
        "guardians": n, "threshold": t, "incidents": len(results),
        "one_digest": all(len(r.digests) == 1 and None not in r.digests for r in results),
        "messages_sent": mean("sent"), "messages_received": mean("received"),
        "duplicates": mean("duplicates"), "bytes_sent": mean("sent_bytes"),
        "bytes_received": mean("received_bytes"), "control_messages": mean("control"),
        "control_bytes": mean("control_bytes"), "recovered": mean("recovered"),
        "lost": mean("lost"),
        "cpu_seconds": mean("cpu"), "combine_cpu_seconds": mean("combine_cpu"),
        "detect_cpu_seconds": mean("detect_cpu"),
        "validate_cpu_per_message": {kind: total / count for kind, (total, count)
                                     in validate.items() if count},
        "validated_per_guardian": {kind: count / (n * len(results))
                                   for kind, (_total, count) in validate.items()},
        "cpu_by_activity": {a: statistics.fmean(r.cpu.get(i, {}).get(a, 0.0) for r in results
                                                for i in range(1, n + 1))
                            for a in ("gossip", "deliver", "detect", "proof")},
        "network_cpu_seconds": statistics.fmean(sum(r.cpu.get(0, {}).values())
                                                for r in results),
        "latency_first": order(1), "latency_median": order((n + 1) // 2),
        "latency_tth": order(t), "latency_last": order(n),
        "wall_seconds": statistics.fmean(r.wall_seconds for r in results),
        "stretch": statistics.fmean(r.stretch for r in results),
        # CPU no task step holds: trio's run loop and this instrument, shared by all guardians
        "loop_cpu_seconds": statistics.fmean(
            r.process_cpu - sum(sum(a.values()) for a in r.cpu.values()) for r in results),
        "mesh_degree": statistics.fmean(results[0].mesh_degree.values()),
    }


def _fast_tmp() -> str | None:
    """sqlite's fsyncs on tmpfs where there is one: the store's CPU counts, the disk's wait not."""
    return "/dev/shm" if Path("/dev/shm").is_dir() else None
