"""`scripts/bench prepared`: the two-step exploit (deploy, wait 1-5 blocks, call) against N
guardians (OS processes) at a given block time, with benign contracts deployed on the same pool
first in every run; how often the containment is engaged before the attack transaction is
broadcast, by how many blocks, and how often a benign deployment is contained (never, we hope).

One network per block time; each run deploys a fresh demo instance (capped pool) under instant
mining, switches back to interval mining and lets the guardians read the new registration.
`target="oz-lending"`: each run also deploys a fresh OpenZeppelin lending market
(node.devnet.oz_market) and attacks it instead; the benign contracts still use the demo pool.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from pathlib import Path

from node.anvil import Anvil
from node.bench.e2e_pending import _caught_up, _threshold, _wait_mesh
from node.deploy import Deployer
from node.devnet.contracts import ATTACKER_CAPITAL, MAX_BORROW_PER_TX, deploy_demo, retire
from node.devnet.network import ATTACKER_KEY, DEPLOYER_KEY, Topology, deploy_network
from node.devnet.oz_market import OZMarket, deploy_oz_market
from node.devnet.prepared import BENIGN, BENIGN_KEY, attack_prepared
from node.devnet.processes import ProcessGroup, guardian_argv
from node.devnet.runner import set_interval_mining


def _fresh(rpc: str, deployment: dict, block_time: float, demo: bool = True,
           market: bool = False, used: tuple[str, ...] = ()) -> tuple[dict, OZMarket | None]:
    """A fresh demo instance and/or OZ market; `used`: the last run's registrations, retired."""
    gov = Deployer.connect(rpc, DEPLOYER_KEY)
    gov.w3.provider.make_request("evm_setIntervalMining", [0])
    gov.w3.provider.make_request("evm_setAutomine", [True])
    retire(gov, gov.contract("GuardianOracle", deployment["oracle"]), used)
    instance = deployment
    if demo:
        instance = {**deployment, **deploy_demo(
            gov, gov.contract("GuardianOracle", deployment["oracle"]),
            max_borrow_per_tx=MAX_BORROW_PER_TX)}
    oz = deploy_oz_market(gov, instance) if market else None
    gov.w3.provider.make_request("evm_setAutomine", [False])
    set_interval_mining(rpc, block_time)
    return instance, oz


def run_cell(n: int, block_time: float, runs: int, progress=print, seed: int = 1,
             target: str = "demo") -> dict:
    rng = random.Random(seed * 1000 + n + int(block_time))
    samples = []
    with tempfile.TemporaryDirectory(prefix=f"bench-prepared-{n}-") as tmp, \
            Anvil(log_path=Path(tmp) / "anvil.log") as chain, ProcessGroup() as group:
        run_dir = Path(tmp) / "run"
        doc = deploy_network(run_dir, n, _threshold(n), Topology(chain.rpc_url, chain.ws_url),
                             log=lambda _: None, max_borrow_per_tx=MAX_BORROW_PER_TX, dealer=True)
        set_interval_mining(chain.rpc_url, block_time)
        urls = {int(k): v for k, v in doc["status_urls"].items()}
        for i in range(1, n + 1):
            group.spawn(f"guardian-{i}", guardian_argv(run_dir / f"guardian-{i}" / "node.toml"),
                        run_dir / "logs" / f"guardian-{i}.log")
        _wait_mesh(urls, n, group)
        deployment = doc["deployment"]
        attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
        gov = Deployer.connect(chain.rpc_url, DEPLOYER_KEY)
        user = Deployer.connect(chain.rpc_url, BENIGN_KEY)
        market, used = None, ()
        for run in range(runs):
            if run or target == "oz-lending":
                deployment, market = _fresh(chain.rpc_url, deployment, block_time, demo=run > 0,
                                            market=target == "oz-lending", used=used)
                _caught_up(attacker.w3, urls)
            used = (deployment["protocol_id"],) + ((market.protocol_id,) if market else ())
            gov.transact("capital", gov.contract("DemoToken", deployment["usd"]).functions
                         .mint(attacker.address, ATTACKER_CAPITAL))
            _, prep = attack_prepared(attacker, gov, user, deployment, rng=rng,
                                      step_timeout=4 * block_time + 10, market=market)
            samples.append(prep.to_dict())
            progress(f"  N={n} {block_time:g}s run {run + 1}/{runs}: wait {prep.wait_blocks}, "
                     f"contained before the attack: {prep.contained_before_attack}"
                     f" (lead {prep.lead_blocks}), attack "
                     f"{'landed' if prep.attack_ok else 'reverted'}, benign contained: "
                     f"{prep.benign_contained}")
    return _row(n, block_time, samples)


def _row(n: int, block_time: float, samples: list[dict]) -> dict:
    before = [s for s in samples if s["contained_before_attack"]]
    leads = sorted(s["lead_blocks"] for s in before if s["lead_blocks"] is not None)
    return {
        "guardians": n, "threshold": _threshold(n), "block_seconds": block_time,
        "runs": len(samples), "contained_before_attack": len(before),
        "share_before_attack": round(len(before) / len(samples), 3) if samples else 0.0,
        "attack_reverted": sum(1 for s in samples if not s["attack_ok"]),
        "lead_blocks_median": statistics.median(leads) if leads else None,
        "lead_blocks_min": leads[0] if leads else None,
        "benign_deployments": len(BENIGN) * len(samples),
        "benign_contained": sum(1 for s in samples if s["benign_contained"]),
        "samples": samples,
    }


def run_bench(n: int, block_times: list[float], runs: int, progress=print,
              target: str = "demo") -> list[dict]:
    rows = []
    for block_time in block_times:
        progress(f"N={n}, {block_time:g}s blocks, {runs} runs, target {target}")
        rows.append({**run_cell(n, block_time, runs, progress, target=target), "target": target})
    return rows


def print_table(rows: list[dict]) -> None:
    print("\n| block | runs | contained before the attack tx | attack reverted | blocks of lead "
          "(median, min) | benign deployments contained |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['block_seconds']:g} s | {r['runs']} | {r['contained_before_attack']} "
              f"({r['share_before_attack']:.0%}) | {r['attack_reverted']} | "
              f"{r['lead_blocks_median']}, {r['lead_blocks_min']} | {r['benign_contained']} of "
              f"{r['benign_deployments']} |")
