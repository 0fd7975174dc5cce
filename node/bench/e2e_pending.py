"""`scripts/bench e2e`: the one-transaction exploit against N guardians (OS processes) at a given
block time, broadcast at a uniformly random moment of the block; how often the containment is
ordered before it in the same block, how much is saved, and how long from the exploit's broadcast
to the containment's broadcast. The guardians' preparation watch is off (`[pending]
probe_new_contracts = false`) unless asked for: this section measures the race itself.

One network per (N, block time) cell; each run after the first deploys a fresh demo instance
(uncapped pool) under instant mining, switches back to interval mining and waits two blocks (the
guardians read the oracle's registry on each head), then attacks it once.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from node.anvil import Anvil
from node.bench.detection_net import caught_up
from node.deploy import Deployer
from node.devnet.contracts import ATTACKER_CAPITAL, NO_CAP, deploy_demo, retire
from node.devnet.network import ATTACKER_KEY, DEPLOYER_KEY, Topology, deploy_network
from node.devnet.oneshot import attack_oneshot, wait_new_block
from node.devnet.processes import ProcessGroup, guardian_argv
from node.devnet.runner import set_interval_mining
from node.devnet.status import fetch_all
from node.stages import run_stages, stage_table
from node.store import incident_key


def _threshold(n: int) -> int:
    return n * 2 // 3 + 1


def _wait_mesh(urls: dict[int, str], n: int, group: ProcessGroup, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(not p.alive() for p in group.processes):
            raise RuntimeError("a guardian exited during start-up")
        docs = fetch_all(urls)
        if all(d and d.get("ready") and len(d.get("live_guardians") or []) >= n
               for d in docs.values()):
            return
        time.sleep(0.5)
    raise RuntimeError("the gossip mesh did not form")


def _fresh(rpc: str, deployment: dict, block_time: float) -> dict:
    gov = Deployer.connect(rpc, DEPLOYER_KEY)
    gov.w3.provider.make_request("evm_setIntervalMining", [0])
    gov.w3.provider.make_request("evm_setAutomine", [True])
    oracle = gov.contract("GuardianOracle", deployment["oracle"])
    retire(gov, oracle, [deployment["protocol_id"]])
    fields = deploy_demo(gov, oracle,
                         max_borrow_per_tx=NO_CAP)
    instance = {**deployment, **fields}
    attacker = Deployer.connect(rpc, ATTACKER_KEY).address
    gov.transact("capital", gov.contract("DemoToken", instance["usd"]).functions
                 .mint(attacker, ATTACKER_CAPITAL))
    gov.w3.provider.make_request("evm_setAutomine", [False])
    set_interval_mining(rpc, block_time)
    return instance


def _caught_up(w3, urls: dict[int, str], timeout: float = 180.0) -> None:
    """Two new blocks (the guardians read the registry on heads), then until every guardian's
    detectors have judged the current head: the steady state the exploit should meet."""
    for _ in range(2):
        wait_new_block(w3)
    if not caught_up(urls, lambda: w3.eth.block_number, timeout):
        print(f"warning: the guardians were still catching up after {timeout:.0f} s", flush=True)


def _latency(urls: dict[int, str], protocol_id: str, sent_unix: float) -> float | None:
    for doc in fetch_all(urls).values():
        for c in (doc or {}).get("contained") or []:
            if str(c.get("protocol", "")).lower() == protocol_id.lower() and c.get("sent_unix"):
                return c["sent_unix"] - sent_unix
    return None


def broadcast_offsets(runs: int, block_time: float, rng: random.Random,
                      stratified: bool = True) -> list[float | None]:
    """When in the block each run broadcasts its exploit. Stratified: one offset drawn uniformly
    in each of `runs` equal slices of the block, in a shuffled order, so that 20 runs cover the
    block evenly (20 independent draws put 9 of 20 in the block's last fifth for the seed the
    earlier rounds used, where a race is lost whatever the guardians do). Not stratified: None,
    each run draws its own uniform offset (the earlier rounds' numbers)."""
    if not stratified:
        return [None] * runs
    offsets = [(i + rng.random()) * block_time / runs for i in range(runs)]
    rng.shuffle(offsets)
    return offsets


def run_cell(n: int, block_time: float, runs: int, progress=print, seed: int = 1,
             keep: Path | None = None, probe_new_contracts: bool = False,
             stratified: bool = True) -> dict:
    """One (N, block time) cell; `keep`: a directory for keys, configs and logs to keep.
    `probe_new_contracts` off by default: the race is measured alone (with the preparation
    watch on, the Attacker contract is usually contained at its deployment, before any race)."""
    rng = random.Random(seed * 1000 + n)
    offsets = broadcast_offsets(runs, block_time, rng, stratified)
    samples = []
    with tempfile.TemporaryDirectory(prefix=f"bench-e2e-{n}-") as tmp, \
            Anvil(log_path=Path(keep or tmp) / "anvil.log") as chain, ProcessGroup() as group:
        tmp = keep or tmp
        run_dir = Path(tmp) / "run"
        doc = deploy_network(run_dir, n, _threshold(n), Topology(chain.rpc_url, chain.ws_url),
                             log=lambda _: None,
                             max_borrow_per_tx=NO_CAP, probe_new_contracts=probe_new_contracts)
        set_interval_mining(chain.rpc_url, block_time)
        urls = {int(k): v for k, v in doc["status_urls"].items()}
        for i in range(1, n + 1):
            group.spawn(f"guardian-{i}", guardian_argv(run_dir / f"guardian-{i}" / "node.toml"),
                        run_dir / "logs" / f"guardian-{i}.log")
        _wait_mesh(urls, n, group)
        deployment = doc["deployment"]
        attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
        for run in range(runs):
            if run:
                deployment = _fresh(chain.rpc_url, deployment, block_time)
                _caught_up(attacker.w3, urls)
            _, one = attack_oneshot(attacker, deployment, block_time=block_time, window=1.0,
                                    rng=rng, offset=offsets[run])
            sample = one.to_dict()
            deadline = time.monotonic() + 2 * block_time + 2
            while (latency := _latency(urls, deployment["protocol_id"], one.sent_unix)) is None \
                    and time.monotonic() < deadline:
                time.sleep(0.2)  # the submitter's /status shows the confirmation
            sample["latency_s"] = latency
            sample["stages"] = run_stages(
                fetch_all(urls).values(), incident_key(bytes.fromhex(deployment["protocol_id"][2:]),
                                                       0), one.sent_unix)
            samples.append(sample)
            progress(f"  N={n} {block_time:g}s run {run + 1}/{runs}: offset {one.offset_s:.2f}s, "
                     f"{one.outcome()}, saved {one.saved_fraction:.0%}, broadcast->containment "
                     f"broadcast {'-' if latency is None else f'{latency:.3f}s'}")
    return _row(n, block_time, samples)


def _row(n: int, block_time: float, samples: list[dict]) -> dict:
    lat = sorted(s["latency_s"] for s in samples if s.get("latency_s") is not None)
    late = [s for s in samples if not s["same_block"]]
    return {
        "guardians": n, "threshold": _threshold(n), "block_seconds": block_time,
        "runs": len(samples), "same_block": sum(1 for s in samples if s["same_block"]),
        "same_block_rate": round(sum(1 for s in samples if s["same_block"]) / len(samples), 3)
        if samples else 0.0,
        "saved_fraction_mean": round(statistics.mean(s["saved_fraction"] for s in samples), 3)
        if samples else 0.0,
        "latency_s_median": round(statistics.median(lat), 3) if lat else None,
        "latency_s_p90": round(lat[min(len(lat) - 1, int(0.9 * len(lat)))], 3) if lat else None,
        "late_offsets_s": [s["offset_s"] for s in late],
        "stages_ms": stage_table([s["stages"] for s in samples if s.get("stages")]),
        "samples": samples,
    }


def run_bench(sizes: list[int], block_times: list[float], runs: int, slow_runs: int,
              progress=print, probe_new_contracts: bool = False,
              stratified: bool = True) -> list[dict]:
    rows = []
    for block_time in block_times:
        for n in sizes:
            count = runs if block_time <= 2 else slow_runs
            progress(f"N={n}, {block_time:g}s blocks, {count} runs")
            rows.append(run_cell(n, block_time, count, progress,
                                 probe_new_contracts=probe_new_contracts, stratified=stratified))
    return rows
