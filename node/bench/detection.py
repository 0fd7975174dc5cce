"""`scripts/bench detection`: every corpus class (node/corpus) against 4 guardians at 2 s blocks,
scored as a confusion table: per class, contained or not, before or after its harmful
transaction, funds saved, the action engaged, false containments and how long users were frozen.

One column = one anvil, one oracle, every corpus protocol deployed and registered on it (history
first, under manual mining), N guardian processes from the column's source tree, then the classes
played in waves of `parallel` at real block times with their background traffic, the events of a
wave `stagger` blocks apart (independent exploits of different protocols in the very same block
are the stress case `stagger=0`, not the common one). The "before"
column runs the guardians of the `--baseline` commit's sources (today's rules), the "after" column
this checkout; both see the same corpus (same seed, same accounts, same amounts).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from eth_hash.auto import keccak
from web3 import Web3

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.bench.detection_net import (
    Column,
    caught_up,
    deal,
    deploy_oracle,
    detections,
    start_guardians,
    wait_ready,
)
from node.corpus import session
from node.corpus.base import EXPLOIT, Scenario
from node.corpus.chain import E18, CorpusChain
from node.corpus.register import register_all
from node.devnet.processes import ProcessGroup
from protocol.digest import Action, protocol_id

LEAD_BLOCKS = 2  # background traffic before each event
TAIL_BLOCKS = 6  # and after it, for a containment to land


def _threshold(n: int) -> int:
    return n * 2 // 3 + 1


def run_column(column: Column, classes: list[type[Scenario]], *, guardians: int = 4,
               block_time: float = 2.0, parallel: int = 8, stagger: int = 1, seed: int = 1,
               progress: Callable[[str], None] = print, keep: Path | None = None) -> dict:
    def say(message: str) -> None:
        progress(f"[{column.label}] {message}")

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"bench-detection-{column.label}-") as tmp:
        run_dir = (keep or Path(tmp)) / column.label
        run_dir.mkdir(parents=True, exist_ok=True)
        with Anvil(log_path=run_dir / "anvil.log",
                   extra_args=("--gas-limit", "100000000")) as anvil, ProcessGroup() as group:
            chain = CorpusChain(anvil.rpc_url, DEV_PRIVATE_KEYS[0], seed=f"corpus-{seed}")
            chain.manual_mining()
            gset, backend = deal(run_dir, guardians, _threshold(guardians))
            oracle = deploy_oracle(chain, column, gset, backend)
            chain.oracle = oracle.address
            say(f"guardians from {column.tree} ({column.commit}); oracle {oracle.address}")
            scenarios = session.set_up(chain, classes, seed, progress=say)
            first, last = session.history(chain, scenarios)
            limits = register_all(chain, oracle, scenarios, first, last)
            say(f"history blocks {first}..{last}; {len(scenarios)} protocols registered")

            def fund(key: bytes) -> None:
                address = Web3.to_checksum_address(
                    chain.w3.eth.account.from_key(key).address)
                chain.w3.provider.make_request("anvil_setBalance", [address, hex(10 * E18)])

            urls = start_guardians(group, column, run_dir, guardians, anvil.rpc_url,
                                   anvil.ws_url, chain.chain_id, oracle.address, fund)
            chain.w3.provider.make_request("evm_setIntervalMining", [max(1, round(block_time))])
            chain.interval = True
            wait_ready(urls, group)
            chain.next_block(2)  # the guardians read the oracle's registry on heads
            if not caught_up(urls, chain.head):
                say("warning: the guardians were still catching up after 180 s; playing anyway "
                    "(detections in the first wave may be late for that reason)")
            say(f"{guardians} guardians ready (t={_threshold(guardians)}), "
                f"{block_time:g}s blocks; playing the classes")
            for k in range(0, len(scenarios), parallel):
                wave = scenarios[k:k + parallel]
                _play_wave(chain, wave, say, stagger)
            kinds = detections(run_dir / "logs")
            rows = [_score(chain, oracle, s, limits[s.name], kinds) for s in scenarios]
    return {"column": column.label, "commit": column.commit, "guardians": guardians,
            "threshold": _threshold(guardians), "block_seconds": block_time,
            "parallel": parallel, "stagger_blocks": stagger, "rows": rows,
            "totals": totals(rows), "wall_seconds": round(time.monotonic() - started, 1)}


def _play_wave(chain: CorpusChain, wave: list[Scenario], say, stagger: int = 1) -> None:
    """Each class's traffic from the wave's start; the k-th class's event `k * stagger` blocks
    after the first's."""
    errors: dict[str, str] = {}

    def play(scenario: Scenario, lead: int) -> None:
        try:
            for _ in range(lead):
                scenario.sent_traffic = scenario.traffic()
                chain.next_block()
            scenario.act()
            for _ in range(TAIL_BLOCKS):
                scenario.traffic()
                chain.next_block()
            scenario.outcome = scenario.effect()
        except Exception as exc:  # noqa: BLE001 - one class's failure is its row, not the run's
            errors[scenario.name] = f"{type(exc).__name__}: {exc}"[:300]

    threads = [threading.Thread(target=play, args=(s, LEAD_BLOCKS + k * stagger), daemon=True)
               for k, s in enumerate(wave)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    for s in wave:
        s.error = errors.get(s.name)
        say(f"  {s.name}: " + (f"driver error {s.error}" if s.error else "played"))


OUTFLOW_QUEUED = keccak(b"OutflowQueued(address,address,uint256,uint64)")


def _score(chain: CorpusChain, oracle, scenario: Scenario, limits,
           kinds: dict[str, dict[str, int]]) -> dict:
    watch = scenario.watch()
    pid = protocol_id(bytes.fromhex(watch.target[2:]))
    row = {**scenario.info(), "target": watch.target, "limits": limits.to_dict(),
           "error": getattr(scenario, "error", None),
           "transactions": [s.to_dict() for s in scenario.sent],
           "evidence": {k.lower(): n for k, n in
                        sorted(kinds.get(pid.hex()[:12], {}).items())}}
    # Every containment since the registration (the oracle is fresh per column), also one the
    # guardians engaged while catching up on the history blocks: users were frozen all the same.
    logs = oracle.events.ContainmentEngaged().get_logs(from_block=0,
                                                       argument_filters={"protocolId": pid})
    engaged = [e for e in logs if e["args"]["hookSucceeded"]]
    harmful = [s for s in scenario.sent if s.harmful and s.block is not None]
    row["contained"] = bool(engaged)
    row["when"] = "-"
    if engaged:
        first = engaged[0]
        receipt = chain.w3.eth.get_transaction_receipt(first["transactionHash"])
        block = chain.w3.eth.get_block(first["blockNumber"])
        where = (first["blockNumber"], receipt["transactionIndex"])
        action = Action(first["args"]["action"])
        row.update(action=action.name, containment_block=first["blockNumber"],
                   frozen_seconds=int(first["args"]["expiresAt"]) - int(block["timestamp"]))
        if action is Action.CIRCUIT_BREAKER:
            # the corpus contracts rate-limit outflows under a breaker (Guardable._guardedOutflow):
            # nobody is frozen; withdrawals above the rate wait, each an OutflowQueued event
            row["frozen_seconds"] = 0
            row["queued_outflows"] = len(chain.w3.eth.get_logs({
                "address": watch.target, "fromBlock": first["blockNumber"],
                "topics": ["0x" + OUTFLOW_QUEUED.hex()]}))
        if harmful:
            h = harmful[0]
            row["when"] = "before" if where < (h.block, h.index) else "after"
            row["blocks_from_harmful"] = first["blockNumber"] - h.block
    outcome = getattr(scenario, "outcome", None)
    if outcome is not None:
        row["effect"] = outcome.to_dict()
    return row


def totals(rows: list[dict]) -> dict:
    exploits = [r for r in rows if r["verdict"] == EXPLOIT]
    benign = [r for r in rows if r["verdict"] != EXPLOIT]
    tp = sum(1 for r in exploits if r["contained"])
    fp = sum(1 for r in benign if r["contained"])
    fn, tn = len(exploits) - tp, len(benign) - fp
    at_risk = sum(r.get("effect", {}).get("at_risk", 0) for r in exploits)
    lost = sum(r.get("effect", {}).get("lost", 0) for r in exploits)
    return {"exploits": len(exploits), "benign": len(benign), "true_positives": tp,
            "false_negatives": fn, "false_positives": fp, "true_negatives": tn,
            "contained_before_harmful": sum(1 for r in exploits if r["when"] == "before"),
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / len(exploits), 3) if exploits else None,
            "funds_at_risk": at_risk, "funds_lost": lost,
            "saved_fraction": round(1 - lost / at_risk, 4) if at_risk else None,
            "frozen_seconds_benign": sum(r.get("frozen_seconds", 0) for r in benign if r["contained"]),
            "benign_rate_limited": sum(1 for r in benign if r.get("action") == "CIRCUIT_BREAKER"),
            "queued_outflows_benign": sum(r.get("queued_outflows", 0) for r in benign)}
