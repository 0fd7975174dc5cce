"""The flood section of `scripts/bench`: what outsiders cost the guardians, and whether the exploit
is still contained as fast while they flood.

One run: the devnet (N guardians as processes, anvil 1 s blocks) four times: clean; with K
outsider processes flooding every guardian while the guardians refuse outsiders (`deny`, the
default); with the guardians admitting them as observers (`observe`), so that their forged,
validly libp2p-signed Shares reach the node; and with K insiders holding guardian 1's libp2p key
under `deny`. For each: containment, guardian CPU, and what the guardians wrote to their logs
(bytes in their busiest minute, and lines not in the node's format). Also the CPU a forged Share
costs when it is validated in full (what every copy of one cost a guardian before the p2p guards,
plus libp2p's own work), and the CPU per refused connection with and without the handshake
throttle (`node.p2p.handshakes`).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from node.bench.output import table_console
from node.devnet.runner import DevnetOptions, run_devnet


def validation_cpu_ms(count: int = 200) -> float:
    """CPU milliseconds the gossip rules spend on one forged Share (decode, guardian signature
    check): the cost every copy had before forged messages were dropped or remembered."""
    from node.bench.flooder import forged_share
    from node.devnet.inprocess import deal
    from protocol import gossip_rules
    from protocol.bls import get_backend

    backend = get_backend()
    _, gset = deal(7, 5, backend, seed=7)
    ctx = gossip_rules.ValidationContext(guardian_set=gset, chain_id=31337, oracle=b"\x01" * 20,
                                         head_block=100, now=int(time.time()))
    stranger = int.from_bytes(os.urandom(31), "big") + 1
    shares = [forged_share(backend, stranger) for _ in range(count)]
    start = time.process_time()
    for data in shares:
        verdict, _, _ = gossip_rules.validate_bytes(data, ctx, backend)
        assert verdict is gossip_rules.Verdict.REJECT
    return 1000 * (time.process_time() - start) / count


TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d,\d{3} ")


def log_rates(log_dir: Path) -> dict:
    """Per guardian log: bytes in its busiest minute (a line without the node's timestamp counts
    in the minute of the line before it) and lines not in the node's format."""
    busiest, unformatted, total = [], 0, 0
    for path in sorted(log_dir.glob("guardian-*.log")):
        minutes: dict[str, int] = {}
        minute = ""
        for line in path.read_bytes().decode(errors="replace").splitlines(keepends=True):
            match = TIMESTAMP.match(line)
            if match:
                minute = match.group(1)
            else:
                unformatted += 1
            minutes[minute] = minutes.get(minute, 0) + len(line.encode())
            total += len(line.encode())
        busiest.append(max(minutes.values(), default=0))
    return {"log_bytes_busiest_minute_max": max(busiest, default=0),
            "log_bytes_busiest_minute_median": int(statistics.median(busiest)) if busiest else 0,
            "log_unformatted_lines": unformatted, "log_bytes_total": total}


def _cpu(summary: dict) -> float:
    procs = [p for p in (summary.get("processes") or {}).values() if p]
    return statistics.median(p["cpu_seconds"] for p in procs) if procs else 0.0


def run_flood_bench(guardians: int = 7, threshold: int = 5, flooders: int = 4,
                    progress=print) -> dict:
    quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115 - the bench prints its own table
    cells = [("clean", "deny", 0, 0), ("flood, outsiders = deny", "deny", flooders, 0),
             ("flood, outsiders = observe", "observe", flooders, 0),
             ("flood, insiders (guardian 1's key), deny", "deny", flooders, 1)]
    rows = []
    for name, outsiders, count, stolen in cells:
        with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
            code, summary = run_devnet(DevnetOptions(
                guardians=guardians, threshold=threshold, run_dir=Path(tmp) / "run", live=False,
                outsiders=outsiders, flooders=count, flood_as_guardian=stolen), console=quiet)
            logs = log_rates(Path(tmp) / "run" / "logs")
        progress(f"  {name}: {'contained' if code == 0 else 'NOT contained'}; logs {logs}")
        rows.append({"cell": name, "outsiders": outsiders, "flooders": count, **logs,
                     "contained": code == 0,
                     "attack_to_containment_s": summary.get(
                         "seconds_from_attack_broadcast_to_containment"),
                     "blocks_to_containment": summary.get("blocks_to_containment"),
                     "saved_fraction": summary.get("saved_fraction"),
                     "guardian_cpu_s_median": round(_cpu(summary), 2),
                     "wall_s": summary.get("wall_seconds"),
                     "p2p": summary.get("p2p"), "flood": summary.get("flooders")})
    clean = rows[0]["guardian_cpu_s_median"]
    for row in rows[1:]:
        flood = row["flood"] or {}
        sent = flood.get("messages", 0) / guardians  # each guardian's share of the flood
        extra_ms = 1000 * max(0.0, row["guardian_cpu_s_median"] - clean)
        row["extra_cpu_ms_per_flood_message"] = round(extra_ms / sent, 3) if sent else None
    costs = []
    for mode in MODES:
        costs.append(measure_cost(mode))
        progress(f"  cost, {mode}: {costs[-1]['cpu_ms_per_message']} ms per message received")
    return {"guardians": guardians, "threshold": threshold, "flooders": flooders,
            "forged_share_validation_cpu_ms": round(validation_cpu_ms(), 3), "runs": rows,
            "cost_per_message": costs}


def print_table(result: dict) -> None:
    table = Table(title=f"Flood: {result['guardians']} guardians (t = {result['threshold']}), "
                        f"{result['flooders']} outsider processes",
                  width=160)
    cols = [("cell", "run"), ("contained", "contained"),
            ("attack_to_containment_s", "attack->contained s"),
            ("blocks_to_containment", "blocks"), ("guardian_cpu_s_median", "CPU s/guardian"),
            ("extra_cpu_ms_per_flood_message", "extra CPU ms/flood msg"),
            ("log_bytes_busiest_minute_max", "log B, busiest min"),
            ("log_unformatted_lines", "unformatted lines")]
    for _, title in cols:
        table.add_column(title, justify="right")
    for r in result["runs"]:
        table.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(table)
    for r in result["runs"][1:]:
        print(f"  {r['cell']}: flooders {r['flood']}; guardians' p2p totals {r['p2p']}")
    costs = Table(title="Guardian CPU per forged Share (one guardian, one flooder process)",
                  width=160)
    cols = [("mode", "flooder"), ("sent", "sent"), ("received", "received"),
            ("validated", "validated"), ("bans", "bans"), ("refused_dials", "refused dials"),
            ("cpu_ms_per_message", "CPU ms/msg received"),
            ("cpu_ms_per_refused_dial", "CPU ms/refused dial"),
            ("connection_attempts", "connections"), ("full_handshakes", "handshakes"),
            ("cpu_ms_per_connection", "CPU ms/connection")]
    for _, title in cols:
        costs.add_column(title, justify="right")
    for r in result["cost_per_message"]:
        costs.add_row(*(str(r.get(key, "")) for key, _ in cols))
    table_console().print(costs)
    print(f"  a forged Share validated in full costs {result['forged_share_validation_cpu_ms']} ms "
          f"CPU (gossip rules alone, before libp2p's own per-message work)")


MODES = {
    "unguarded": "every message validated in full (no budget, no bans: the node before the guards)",
    "member": "a compromised guardian key floods: charged, banned, disconnected",
    "observe": "an outsider admitted as observer floods: dropped before validation",
    "deny": "an outsider under the default policy: refused after the handshake, its address "
            "throttled then banned before the handshake",
    "deny-unthrottled": "the same without the handshake throttle: every redial is a handshake",
}


def measure_cost(mode: str, seconds: float = 8.0) -> dict:
    """One guardian's p2p service in this process, one flooder process against it: the CPU this
    process spends per flood message received (or per refused dial), idle CPU subtracted."""
    import trio

    return trio.run(_measure, mode, seconds)


async def _measure(mode: str, seconds: float) -> dict:
    import json
    import subprocess
    import sys

    import trio

    from node.p2p import P2PConfig, P2PService
    from node.p2p.handshakes import HandshakeLimits
    from node.p2p.identity import generate_identity, peer_id_of, save_identity
    from node.p2p.peers import PeerLimits
    from protocol import gossip_rules
    from protocol.bls import get_backend

    backend = get_backend()
    from node.devnet.inprocess import deal

    _, gset = deal(7, 5, backend, seed=7)

    def validator(peer, data):
        ctx = gossip_rules.ValidationContext(guardian_set=gset, chain_id=31337,
                                             oracle=b"\x01" * 20, head_block=100,
                                             now=int(time.time()))
        verdict, reason, _ = gossip_rules.validate_bytes(data, ctx, backend)
        return verdict, str(reason)

    me, flooder = generate_identity(), generate_identity()
    members = (peer_id_of(me), peer_id_of(flooder)) if mode == "member" else (peer_id_of(me),)
    limits = PeerLimits()
    if mode == "unguarded":
        members = ()
        limits = PeerLimits(member_messages_per_second=1e9, member_burst=1e9,
                            member_threshold=1e18)
    handshakes = (HandshakeLimits(refusal_burst=1e12) if mode == "deny-unthrottled"
                  else HandshakeLimits())
    cfg = P2PConfig(members=members, outsiders="observe" if mode == "observe" else "deny",
                    limits=limits, handshakes=handshakes)
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        key, report = Path(tmp) / "flooder.key", Path(tmp) / "report.json"
        save_identity(key, flooder)
        async with trio.open_nursery() as nursery:
            svc = P2PService(cfg, me, validator)
            addrs = await nursery.start(svc.run)
            t0, c0 = time.monotonic(), time.process_time()
            await trio.sleep(2.0)  # idle baseline (heartbeats, library upkeep)
            idle_rate = (time.process_time() - c0) / (time.monotonic() - t0)
            proc = subprocess.Popen([sys.executable, "-m", "node.bench.flooder", "--target",
                                     addrs[0], "--seconds", str(seconds), "--report", str(report),
                                     "--identity", str(key)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t1, c1 = time.monotonic(), time.process_time()
            while proc.poll() is None:
                await trio.sleep(0.1)
            elapsed, cpu = time.monotonic() - t1, time.process_time() - c1
            nursery.cancel_scope.cancel()
        sent = json.loads(report.read_text())
    extra = max(0.0, cpu - idle_rate * elapsed)
    received = svc.stats["validated"] + svc.ledger.totals.dropped
    refused = svc.ledger.totals.refused_connections
    attempts = (svc.handshakes.totals["refused_handshakes"]
                + svc.handshakes.totals["throttled_connections"])
    return {"mode": mode, "what": MODES[mode], "flood_seconds": round(elapsed, 1),
            "sent": sent.get("messages", 0), "received": received, "validated":
            svc.stats["validated"], "dropped": svc.ledger.totals.dropped, "refused_dials": refused,
            "bans": svc.ledger.totals.bans, "extra_cpu_s": round(extra, 2),
            "cpu_ms_per_message": round(1000 * extra / received, 3) if received else None,
            "cpu_ms_per_sent_message": round(1000 * extra / sent["messages"], 3)
            if sent.get("messages") else None,
            "cpu_ms_per_refused_dial": round(1000 * extra / refused, 3) if refused else None,
            "connection_attempts": attempts,
            "full_handshakes": svc.handshakes.totals["refused_handshakes"],
            "cpu_ms_per_connection": round(1000 * extra / attempts, 3) if attempts else None}
