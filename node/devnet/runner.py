"""`guardian devnet`: the one-command local devnet.

anvil (Prague; 2 s blocks oneshot, 1 s drip) -> oracle, demo protocol, its cover pool, keys -> N
`guardian run --config` processes (as docker) -> mesh -> the exploit -> cover claims -> summary.
Exit 0 only if contained; every process is stopped on exit (Ctrl-C too)."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.live import Live

from node.anvil import Anvil
from node.deploy import Deployer
from node.devnet.attack import AttackResult, run_attack
from node.devnet.authorizations import authorize_transactions
from node.devnet.contracts import E18, MAX_BORROW_PER_TX, NO_CAP
from node.devnet.cover_phase import prepare_cover
from node.devnet.explorer import explorer_summary, start_explorer
from node.devnet.flooding import p2p_totals, start_flooders, stop_flooders, wait_for_flood
from node.devnet.network import ATTACKER_KEY, Topology, deploy_network
from node.devnet.oneshot import (
    ONESHOT_BLOCK_SECONDS,
    ONESHOT_WINDOW,
    attack_oneshot,
    oneshot_summary,
)
from node.devnet.prepared import prepared_summary, scenario_prepared
from node.devnet.processes import ProcessGroup, guardian_argv, process_stats
from node.devnet.status import fetch_all
from node.devnet.view import DevnetState, GuardianRow, render, summary_table
from node.errors import NodeError
from node.toolchain import REPO_ROOT


@dataclass
class DevnetOptions:
    guardians: int = 7
    threshold: int = 5
    kill: int = 0
    keep_running: bool = False
    run_dir: Path | None = None
    block_time: float | None = None  # None: 2 s for oneshot, 1 s for drip
    max_steps: int = 12
    mesh_timeout: float = 120.0
    live: bool | None = None  # None: when stdout is a terminal
    json_summary: bool = False
    outsiders: str = "deny"  # the guardians' [p2p] outsiders policy
    flooders: int = 0  # outsider processes flooding every guardian during the attack
    flood_as_guardian: int = 0  # > 0: the flooders hold this guardian's libp2p key (insiders)
    dealer: bool = False  # True: a trusted dealer makes the keys (fast); default: a DKG ceremony
    scenario: str = "oneshot"  # oneshot: one transaction drains the pool; drip: one slice a block
    window: float = ONESHOT_WINDOW  # oneshot: broadcast within this fraction of the block
    target: str = "demo"  # prepared: "demo" pool or "oz-lending" (node.devnet.oz_market)


class DevnetFailed(NodeError, RuntimeError):
    """The devnet could not be brought up; the message says which step failed."""


def default_run_dir() -> Path:
    return REPO_ROOT / ".devnet" / time.strftime("run-%Y%m%d-%H%M%S")


def run_devnet(opts: DevnetOptions, console: Console | None = None) -> tuple[int, dict]:
    console = console or Console()
    if not 1 <= opts.threshold <= opts.guardians:
        raise DevnetFailed(f"--threshold must be between 1 and --guardians ({opts.guardians})")
    if not 0 <= opts.kill < opts.guardians:
        raise DevnetFailed("--kill must be between 0 and guardians - 1")
    if not 0 <= opts.flood_as_guardian <= opts.guardians:
        raise DevnetFailed("--flood-as-guardian must be between 0 (strangers) and --guardians")
    if opts.block_time is None:
        opts = replace(opts, block_time=ONESHOT_BLOCK_SECONDS if opts.scenario != "drip" else 1.0)
    run_dir = (opts.run_dir or default_run_dir()).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    state = DevnetState(opts.guardians, opts.threshold, str(run_dir))
    live_mode = console.is_terminal if opts.live is None else opts.live
    stop = threading.Event()

    def event(text: str) -> None:
        line = state.event(text)
        if not live_mode:
            console.print(line, highlight=False)

    def on_stop_signal(*_: object) -> None:
        raise KeyboardInterrupt
    # SIGINT too: started from a background job it is inherited ignored, and Ctrl-C did nothing
    previous = {s: signal.signal(s, on_stop_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    # Deploy with instant mining, then real block times (blocks and latency mean something).
    with Anvil(log_path=run_dir / "anvil.log") as chain, ProcessGroup() as group:
        live = Live(render(state), console=console, refresh_per_second=4) if live_mode else None
        poller = threading.Thread(target=_poll, args=(state, stop, event), daemon=True)
        try:
            if live:
                live.start()
            event(f"anvil on {chain.rpc_url} (Prague, {opts.block_time:g}s blocks)")
            state.phase = "deploying"
            doc = deploy_network(run_dir, opts.guardians, opts.threshold,
                                 Topology(chain.rpc_url, chain.ws_url), log=event,
                                 outsiders=opts.outsiders, dealer=opts.dealer,
                                 max_borrow_per_tx=(NO_CAP if opts.scenario == "oneshot"
                                                    else MAX_BORROW_PER_TX))
            cover = prepare_cover(run_dir, doc, chain.rpc_url, opts.guardians, event)
            set_interval_mining(chain.rpc_url, opts.block_time)
            state.status_urls = {int(k): v for k, v in doc["status_urls"].items()}
            state.phase = "starting guardians"
            for i in range(1, opts.guardians + 1):
                state.rows[i] = GuardianRow(i)
                group.spawn(f"guardian-{i}", guardian_argv(run_dir / f"guardian-{i}" / "node.toml"),
                            run_dir / "logs" / f"guardian-{i}.log")
            event(f"started {opts.guardians} guardian processes; logs in {run_dir / 'logs'}")
            explorer_url = start_explorer(group, doc, chain.rpc_url, run_dir)
            event(f"explorer on {explorer_url} (registry, incidents, audited containments)")
            poller.start()
            _wait_for_mesh(state, group, opts, event)
            for i in range(opts.guardians, opts.guardians - opts.kill, -1):
                group.processes[i - 1].kill()
                state.rows[i].status = "killed"
                event(f"guardian {i} killed before the attack")
            flooders = start_flooders(group, opts.flooders, list(doc["p2p"].values()), run_dir,
                                      as_guardian=opts.flood_as_guardian)
            if flooders:
                event(f"{len(flooders)} outsider processes flood every guardian "
                      f"(guardians' outsiders policy: {opts.outsiders})")
                wait_for_flood(state.status_urls)  # a pending exploit is contained at once
            state.phase = "attack"
            attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
            one = prep = None
            if opts.scenario == "oneshot":
                result, one = attack_oneshot(attacker, doc["deployment"],
                                             block_time=opts.block_time, window=opts.window,
                                             on_event=event)
            elif opts.scenario == "prepared":
                result, prep = scenario_prepared(chain.rpc_url, attacker, doc, event, opts.target)
            else:
                result = run_attack(attacker, doc["deployment"], max_steps=opts.max_steps,
                                    on_event=event, stop=stop.is_set)
            flood_report = stop_flooders(flooders)
            state.attack_txs = [(t.block, t.tx_hash, t.ok) for t in result.txs]
            if result.contained:
                state.containment = {"block": result.containment_block}
            time.sleep(1.5)  # let the last status poll show the submitter (display only)
            summary = _summary(result, doc, state, chain, run_dir, opts)
            summary.update(cover.settle(result.containment_block, state.status_urls, event))
            summary.update(explorer_summary(explorer_url, summary.get("containment_tx"), run_dir))
            if one is not None:
                state.exploit = f"{one.outcome()}; saved {one.saved_fraction:.0%}"
                oneshot_summary(summary, one, (state.submitter_status or {}).get("sent_unix"),
                                fetch_all(state.status_urls).values(), doc["deployment"])
            summary.update(prepared_summary(prep, opts.target) if prep else {})
            summary["processes"] = {p.name: process_stats(p.pid) for p in group.processes
                                    if p.alive() and p.name.startswith("guardian-")}
            if flooders:
                summary["flooders"] = flood_report
            summary["wall_seconds"] = round(time.monotonic() - state.started, 1)
            state.phase = "contained" if result.contained else "NOT contained"
            if live:
                live.update(render(state))
                live.stop()
                live = None
            console.print(summary_table(summary))
            if not result.contained:
                console.print(f"[bold red]The exploit was NOT contained[/]: "
                              f"{len(group.processes) - opts.kill} guardians alive, threshold "
                              f"{opts.threshold}.")
            (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            if opts.keep_running:
                console.print(f"network left running: anvil {chain.rpc_url}, statuses "
                              f"{list(state.status_urls.values())}; Ctrl-C stops everything")
                while True:
                    time.sleep(3600)
            return (0 if result.contained else 1), summary
        except KeyboardInterrupt:
            console.print("interrupted: stopping every process")
            return 130, {}
        finally:
            stop.set()
            if live:
                live.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def set_interval_mining(rpc_url: str, seconds: float) -> None:
    w3 = Deployer.connect(rpc_url, ATTACKER_KEY).w3
    w3.provider.make_request("evm_setIntervalMining", [max(1, round(seconds))])
    start = w3.eth.block_number
    deadline = time.monotonic() + 10 * seconds + 5
    while w3.eth.block_number == start:  # wait for the first timed block
        if time.monotonic() > deadline:
            raise DevnetFailed("anvil did not switch to interval mining")
        time.sleep(0.05)


def _poll(state: DevnetState, stop: threading.Event, event=lambda _: None) -> None:
    """Refresh the rows from the guardians' /status, and narrate what changed."""
    detected = False
    while not stop.is_set():
        statuses = fetch_all(state.status_urls)
        for index, doc in statuses.items():
            row = state.rows.get(index)
            if row is None or row.status == "killed":
                continue
            if doc is None:
                row.status = "down" if row.status != "starting" else "starting"
                continue
            row.status = "ready" if doc.get("ready") else "starting"
            row.peers, row.mesh, row.head = doc.get("peers", 0), doc.get("mesh_peers", 0), \
                doc.get("head", 0)
            row.live = len(doc.get("live_guardians") or [])
            incidents = list((doc.get("incidents") or {}).values())
            if incidents and not detected:
                detected = True
                first = incidents[0]
                event(f"guardian {index} detected {first.get('kind')} at block "
                      f"{first.get('block')}: {first.get('reason')}")
            signed = any("digest" in i for i in incidents)
            if signed and not row.signed:
                done = sum(1 for r in state.rows.values() if r.signed) + 1
                event(f"guardian {index} has {state.threshold} verified shares and combined "
                      f"({done} of {state.guardians} guardians ready)")
            row.signed = signed
            if doc.get("contained") and not row.submitted:
                c = doc["contained"][0]
                event(f"guardian {index} submitted: containment tx {c.get('tx', '')[:18]}... "
                      f"in block {c.get('block')}, gas {c.get('gas')}, signers {c.get('signers')}")
            row.submitted = bool(doc.get("contained"))
            if doc.get("contained"):
                state.submitter_status = doc["contained"][0]
            state.head = max(state.head, row.head)
        state.shares_seen = sum(1 for r in state.rows.values() if r.signed)
        stop.wait(0.5)


def _wait_for_mesh(state: DevnetState, group: ProcessGroup, opts: DevnetOptions, event) -> None:
    deadline = time.monotonic() + opts.mesh_timeout
    want = opts.guardians
    while True:
        for proc in group.processes:
            if not proc.alive():
                raise DevnetFailed(f"{proc.name} exited during start-up; see {proc.log_path}")
        rows = [state.rows[i] for i in range(1, opts.guardians + 1)]
        if all(r.status == "ready" and r.live >= want for r in rows) and state.head > 0:
            event(f"gossip mesh formed: every guardian hears all {want} (heartbeats)")
            return
        if time.monotonic() > deadline:
            raise DevnetFailed(f"the gossip mesh did not form within {opts.mesh_timeout:.0f}s; "
                               f"see the logs in {Path(state.run_dir) / 'logs'}")
        time.sleep(0.25)  # the status poller updates the rows


def _summary(result: AttackResult, doc: dict, state: DevnetState, chain: Anvil, run_dir: Path,
             opts: DevnetOptions) -> dict:
    w3 = Deployer.connect(chain.rpc_url, ATTACKER_KEY).w3
    out = {"contained": result.contained, "guardians": opts.guardians, "threshold": opts.threshold,
           "killed_before_attack": opts.kill, "attack_transactions": len(result.txs),
           "first_attack_block": result.first_attack_block, "logs": str(run_dir / "logs"),
           "containment_block": result.containment_block, "saved_fraction": round(
               result.saved_fraction, 4), "funds_before": f"{result.pool_before / E18:,.0f} USDd",
           "funds_drained": f"{result.drained / E18:,.0f} USDd",
           "funds_saved": f"{result.pool_after / E18:,.0f} USDd "
                          f"({result.saved_fraction:.0%})"}
    keygen = doc.get("keygen") or {}
    out["key_generation"] = ("DKG ceremony (no dealer)" if keygen.get("method") == "dkg"
                             else "trusted dealer (--dealer)")
    if "ceremony_seconds" in keygen:
        out["ceremony_seconds"] = keygen["ceremony_seconds"]
    if result.contained and result.first_attack_block is not None:
        t0 = w3.eth.get_block(result.first_attack_block)["timestamp"]
        t1 = w3.eth.get_block(result.containment_block)["timestamp"]
        out.update(blocks_to_containment=result.containment_block - result.first_attack_block,
                   seconds_to_containment=t1 - t0, containment_tx=result.containment_tx,
                   containment_gas=result.containment_gas,
                   submitted_by=result.containment_submitter,
                   hook_succeeded=result.containment_hook_ok)
        out["seconds_from_attack_broadcast_to_containment"] = round(
            t1 - result.txs[0].sent_unix, 2)
        if state.submitter_status:
            out.update({k: state.submitter_status.get(k)
                        for k in ("signers", "detection_to_submission_s")})
    if result.first_attack_block is not None:
        out.update(authorize_transactions(w3, doc["deployment"]["oracle"],
                                          result.first_attack_block, w3.eth.block_number))
    statuses = [s for s in fetch_all(state.status_urls).values() if s]
    deliveries = [s["gossip_delivery"] for s in statuses
                  if s.get("gossip_delivery", {}).get("samples")]
    if deliveries:
        out["gossip_p50_ms"] = sorted(d["p50_ms"] for d in deliveries)[len(deliveries) // 2]
        out["gossip_p99_ms"] = max(d["p99_ms"] for d in deliveries)
    if offences := [s["p2p"] for s in statuses if s.get("p2p")]:
        out["p2p"] = p2p_totals(offences)
    return out

