"""`scripts/bench pending`: N guardians (OS processes) under a flood of pending transactions that
all touch the registered pool (cheap griefing: `repay(0)`, which succeeds and changes nothing),
with the one-transaction exploit broadcast in the middle of it. Measures per guardian the
simulations per second, the delay from a transaction's arrival to the guardian's verdict, what was
dropped, how far the guardians' heads lag the chain (block-driven work must not wait), and
whether the exploit is still contained first in its block."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from pathlib import Path

import requests
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.deploy import Deployer
from node.devnet.contracts import NO_CAP
from node.devnet.network import ATTACKER_KEY, Topology, deploy_network
from node.devnet.oneshot import prepare, run_oneshot
from node.devnet.processes import ProcessGroup, guardian_argv
from node.devnet.runner import set_interval_mining
from node.devnet.status import fetch_all

FLOOD_TIP = 10**9  # below the exploit's: the exploit is simulated first


def _metric(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M))


def _flood(rpc: str, pool: str, rate: float, seconds: float, stop: threading.Event) -> int:
    w3 = Deployer.connect(rpc, DEV_PRIVATE_KEYS[1]).w3
    contract = Deployer.connect(rpc, DEV_PRIVATE_KEYS[1]).contract("DemoLendingPool", pool)
    data = contract.functions.repay(0)._encode_transaction_data()
    keys = DEV_PRIVATE_KEYS[1:9]
    nonces = {k: w3.eth.get_transaction_count(Account.from_key(k).address, "pending") for k in keys}
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    chain_id = w3.eth.chain_id
    sent, start = 0, time.monotonic()
    while not stop.is_set() and time.monotonic() - start < seconds:
        key = keys[sent % len(keys)]
        tx = {"to": pool, "data": data, "gas": 100_000, "nonce": nonces[key], "chainId": chain_id,
              "maxPriorityFeePerGas": FLOOD_TIP, "maxFeePerGas": base * 4 + FLOOD_TIP, "value": 0}
        nonces[key] += 1
        w3.eth.send_raw_transaction(Account.from_key(key).sign_transaction(tx).raw_transaction)
        sent += 1
        time.sleep(max(0.0, start + sent / rate - time.monotonic()))
    return sent


def run_flood_bench(n: int = 4, block_time: float = 2.0, rate: float = 100.0,
                    seconds: float = 12.0, progress=print) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-pending-") as tmp, \
            Anvil(log_path=Path(tmp) / "anvil.log") as chain, ProcessGroup() as group:
        run_dir = Path(tmp) / "run"
        doc = deploy_network(run_dir, n, n * 2 // 3 + 1, Topology(chain.rpc_url, chain.ws_url),
                             log=lambda _: None,
                             max_borrow_per_tx=NO_CAP)
        deployment = doc["deployment"]
        attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
        contract = prepare(attacker, deployment)
        set_interval_mining(chain.rpc_url, block_time)
        urls = {int(k): v for k, v in doc["status_urls"].items()}
        for i in range(1, n + 1):
            group.spawn(f"guardian-{i}", guardian_argv(run_dir / f"guardian-{i}" / "node.toml"),
                        run_dir / "logs" / f"guardian-{i}.log")
        from node.bench.e2e_pending import _wait_mesh
        _wait_mesh(urls, n, group)
        progress(f"{n} guardians up; flooding {rate:g} pending tx/s for {seconds:g}s")
        stop, lag = threading.Event(), [0]
        result: dict = {}

        def sample_lag() -> None:
            while not stop.is_set():
                head = attacker.w3.eth.block_number
                heads = [d.get("head", 0) for d in fetch_all(urls).values() if d]
                lag[0] = max([lag[0], *(head - h for h in heads)])
                stop.wait(0.25)

        flooder = threading.Thread(target=lambda: result.setdefault(
            "sent", _flood(chain.rpc_url, deployment["pool"], rate, seconds, stop)))
        sampler = threading.Thread(target=sample_lag, daemon=True)
        started = time.monotonic()
        flooder.start()
        sampler.start()
        time.sleep(seconds / 2)
        one = run_oneshot(attacker, deployment, contract, 0.3 * block_time)
        flooder.join()
        elapsed = time.monotonic() - started
        stop.set()
        metrics = {i: requests.get(url + "/metrics", timeout=5).text for i, url in urls.items()}
    sims = [_metric(t, "guardian_pending_simulations_total") for t in metrics.values()]
    count = [_metric(t, "guardian_pending_verdict_seconds_count") for t in metrics.values()]
    total = [_metric(t, "guardian_pending_verdict_seconds_sum") for t in metrics.values()]
    dropped = [_metric(t, "guardian_pending_dropped_total") for t in metrics.values()]
    return {"guardians": n, "block_seconds": block_time, "offered_tx_per_s": rate,
            "sent": result.get("sent", 0), "seconds": round(elapsed, 1),
            "simulations_per_s_per_guardian": round(sum(sims) / len(sims) / elapsed, 1),
            "verdict_delay_ms_mean": round(1000 * sum(total) / max(1, sum(count)), 1),
            "dropped_per_guardian": round(sum(dropped) / len(dropped)),
            "max_head_lag_blocks": lag[0], "exploit": one.outcome(),
            "same_block": one.same_block, "saved_fraction": round(one.saved_fraction, 4)}
