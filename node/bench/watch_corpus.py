"""What one head costs a guardian with the corpus's protocols registered: every corpus class
(node/corpus) deployed and registered the way `scripts/bench detection` registers them (claims
view, EXTRACTION and DILUTION rules, claims-aware balance windows), each head carrying the
classes' background traffic (a few deposits and withdrawals per protocol), and the watch loop's
own per-head path (`RegistryTracker.on_head`, then `WatchLoop._detect`) timed on each head.

Counted per head: wall time, this process's CPU time (its RPC worker threads included), anvil's
CPU time, and the JSON-RPC calls by method (and HTTP requests: a batch is one). `--copies 2`
deploys and registers every class twice (the second set under another governance account: an
admin holds at most 16 registrations), 32 protocols. `--compare` also runs, on every head, a
second guardian whose detectors read one by one (no batching: what the watch loop did before),
its own RPC client and caches, the two alternating which goes first. `--profile FILE` writes a
cProfile of the measured heads (the trio thread only: web3's encoding runs in worker threads,
counted in CPU); `--py-spy FILE` py-spy's collapsed stacks of every thread.

    python -m node.bench.watch_capacity --corpus [--copies 1] [--heads 12] [--compare]
"""

from __future__ import annotations

import cProfile
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import trio

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.bench.detection_net import ROTATION_DELAY
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.view import RpcChainView
from node.corpus import registry, session
from node.corpus.chain import CorpusChain
from node.corpus.register import register_all
from node.detectors import default_detectors
from node.devnet.inprocess import deal
from node.status import NodeState
from node.watch_loop import WatchLoop
from protocol.bls import get_backend
from protocol.registry_capacity import DETECTION_SHARE

WARM_HEADS = 2  # the first heads read the window's older balances: not counted


class CountingRpc(ChainRpc):
    """A `ChainRpc` that counts the JSON-RPC calls it makes, by method."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.calls: Counter[str] = Counter()
        self.requests = 0  # HTTP requests (a batch of calls is one)

    def note_batch(self, calls) -> None:  # node.chain.batch.run_batch tells us what it sends
        self.calls.update(f"{method} (batched)" for method, _ in calls)

    async def _run(self, what, fn):
        if not what.startswith("batch of"):
            self.calls[what] += 1
        self.requests += 1
        return await super()._run(what, fn)

    def take(self) -> tuple[Counter, int]:
        calls, requests = self.calls, self.requests
        self.calls, self.requests = Counter(), 0
        return calls, requests


class _NoPipeline:
    """The watch loop's pipeline, reduced to counting the detections (none expected: the
    traffic is the classes' benign background)."""

    def __init__(self) -> None:
        self.detections: list = []

    async def on_detection(self, det):
        self.detections.append(det)


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _world(anvil: Anvil, copies: int, progress) -> tuple[bytes, list]:
    """The oracle and every class's protocol, `copies` times, registered with it."""
    backend = get_backend()
    chains = [CorpusChain(anvil.rpc_url, DEV_PRIVATE_KEYS[c], seed=f"headcost-{c}")
              for c in range(copies)]
    _, gset = deal(4, 3, backend, seed=24)
    oracle = chains[0].deploy("GuardianOracle", chains[0].gov.account.address,
                              backend.g1_to_eip2537(gset.group_public_key), gset.threshold,
                              gset.n, ROTATION_DELAY, 10**16)
    scenarios: list = []
    per_chain: list[list] = []
    for chain in chains:
        chain.oracle = oracle.address
        mine = session.set_up(chain, list(registry.CLASSES), 1, progress=progress)
        per_chain.append(mine)
        scenarios += mine
    first, last = session.history(chains[0], scenarios, blocks=session.HISTORY_BLOCKS)
    for chain, mine in zip(chains, per_chain, strict=True):
        register_all(chain, oracle, mine, first, last)
    return bytes.fromhex(oracle.address[2:]), [chains, scenarios]


class OneByOne:
    """The chain view without what `node.detectors.prefetch` needs: each detector reads one by
    one, as before the batching (the "before" arm of `--compare`)."""

    def __init__(self, view: RpcChainView) -> None:
        self._view = view

    async def balance(self, token, holder, block):
        return await self._view.balance(token, holder, block)

    async def call(self, target, data, block):
        return await self._view.call(target, data, block)

    async def logs(self, addresses, topics, block):
        return await self._view.logs(addresses, topics, block)

    async def log_at(self, tx_hash, log_index):
        return await self._view.log_at(tx_hash, log_index)

    async def block_logs(self, addresses, topics, block, topic1=()):
        return await self._view.block_logs(addresses, topics, block, topic1)

    async def tx_flows(self, tx_hash):
        return await self._view.tx_flows(tx_hash)

    async def code_size(self, address, block):
        return await self._view.code_size(address, block)


class _Arm:
    """One guardian's watch path (own RPC client, own caches) and its samples."""

    def __init__(self, url: str, oracle: bytes, batched: bool) -> None:
        self.rpc = CountingRpc(url)
        self.tracker = RegistryTracker(OracleClient(self.rpc, oracle))
        self.pipeline = _NoPipeline()
        view = RpcChainView(self.rpc)
        self.loop = WatchLoop(registry=self.tracker, detectors=default_detectors(),
                              view=view if batched else OneByOne(view), pipeline=self.pipeline,
                              submitter=None, store=None, state=NodeState(name="bench", index=1))
        self.samples: list[dict] = []

    async def head(self, anvil: Anvil, head: int, txs: int, keep: bool,
                   profile: cProfile.Profile | None) -> None:
        self.rpc.take()
        cpu, anvil_cpu, start = time.process_time(), _cpu_of(anvil.process.pid), \
            time.perf_counter()
        if profile is not None and keep:
            profile.enable()
        await self.tracker.on_head(head)
        await self.loop._detect(head)
        if profile is not None:
            profile.disable()
        wall = time.perf_counter() - start
        calls, requests = self.rpc.take()
        if keep:
            self.samples.append({"head": head, "txs": txs, "wall_ms": 1000 * wall,
                                 "cpu_ms": 1000 * (time.process_time() - cpu),
                                 "anvil_cpu_ms": 1000 * (_cpu_of(anvil.process.pid) - anvil_cpu),
                                 "calls": dict(calls), "requests": requests})

    def result(self) -> dict:
        return {"samples": self.samples, "protocols": len(self.tracker.watched()),
                "detections": len(self.pipeline.detections)}


async def _measure(anvil: Anvil, oracle: bytes, chains, scenarios, heads: int,
                   profile: cProfile.Profile | None, compare: bool) -> dict[str, dict]:
    """Per head: the traffic mined, then each arm's watch path on it (the arms alternate which
    goes first, so both see the same load)."""
    arms = {"batched": _Arm(anvil.rpc_url, oracle, True)}
    if compare:
        arms["one_by_one"] = _Arm(anvil.rpc_url, oracle, False)
    chain = chains[0]
    for arm in arms.values():
        await arm.tracker.on_head(chain.head())
    for k in range(heads + WARM_HEADS):
        sent = [s for scenario in scenarios for s in scenario.traffic()]
        chain.mine()
        chain.settle(sent, must=False)
        order = list(arms.values())
        for arm in order if k % 2 == 0 else order[::-1]:
            await arm.head(anvil, chain.head(), len(sent), k >= WARM_HEADS,
                           profile if arm is arms["batched"] else None)
    return {name: arm.result() for name, arm in arms.items()}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def summary(result: dict) -> dict:
    samples, n = result["samples"], result["protocols"]
    methods: Counter[str] = Counter()
    for s in samples:
        methods.update(s["calls"])
    wall = _median([s["wall_ms"] for s in samples])
    cpu = _median([s["cpu_ms"] for s in samples])
    anvil_cpu = _median([s["anvil_cpu_ms"] for s in samples])
    per_protocol = (cpu + anvil_cpu) / n
    return {
        "protocols": n, "heads": len(samples), "txs_per_head": _median([s["txs"] for s in samples]),
        "detections": result["detections"],
        "wall_ms_per_head": round(wall, 1), "cpu_ms_per_head": round(cpu, 1),
        "anvil_cpu_ms_per_head": round(anvil_cpu, 1),
        "rpc_calls_per_head": round(sum(methods.values()) / len(samples), 1),
        "http_requests_per_head": round(sum(s["requests"] for s in samples) / len(samples), 1),
        "rpc_calls_per_head_by_method": {m: round(c / len(samples), 1)
                                         for m, c in methods.most_common()},
        "wall_ms_per_protocol_per_head": round(wall / n, 2),
        "cpu_ms_per_protocol_per_head": round(per_protocol, 2),
        # CPU (guardian + its share of anvil) is what 4 guardians on 2 cores compete for
        "protocols_per_2s_head": int(2000 * DETECTION_SHARE / max(per_protocol, 1e-6)),
    }


def _py_spy(path: str) -> subprocess.Popen:
    """py-spy sampling this process, every thread (where web3 encodes and decodes), as collapsed
    stacks in `path`; stopped with SIGINT."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([exe, "record", "--pid", str(os.getpid()), "--format", "raw",
                             "--rate", "200", "--nonblocking", "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(copies: int = 1, heads: int = 12, profile_path: str | None = None,
            progress=lambda _: None, py_spy_path: str | None = None,
            compare: bool = False) -> dict:
    with Anvil(extra_args=("--gas-limit", "100000000")) as anvil:
        oracle, (chains, scenarios) = _world(anvil, copies, progress)
        profile = cProfile.Profile() if profile_path else None
        spy = _py_spy(py_spy_path) if py_spy_path else None
        try:
            result = trio.run(_measure, anvil, oracle, chains, scenarios, heads, profile,
                              compare)
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
    if profile is not None:
        profile.dump_stats(profile_path)
    if not compare:
        return summary(result["batched"])
    return {name: summary(arm) for name, arm in result.items()}
