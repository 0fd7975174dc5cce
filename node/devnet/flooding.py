"""Outsider flooders for the devnet and `scripts/bench flood`: OS processes running
`node.bench.flooder` against every guardian, stopped after the attack with their reports read."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from node.dealer import IDENTITY_FILE, guardian_dir
from node.devnet.processes import ManagedProcess, ProcessGroup
from node.devnet.status import fetch_all

P2P_TOTALS = ("rejects", "faults", "dropped", "refused_connections", "bans", "validated",
              "restarts", "ignores", "library_lines", "px_dropped", "refused_handshakes",
              "throttled_connections", "address_bans")


def p2p_totals(reports: list[dict]) -> dict:
    """The guardians' /status p2p sections added up, and the most messages one guardian forwarded
    to another in one second (honest or not)."""
    out = {k: sum(r.get(k, 0) for r in reports) for k in P2P_TOTALS}
    out["peak_member_rate"] = max((r.get("peak_member_rate", 0) for r in reports), default=0)
    return out


def start_flooders(group: ProcessGroup, count: int, targets: list[str], run_dir: Path,
                   as_guardian: int = 0) -> list[tuple[ManagedProcess, Path]]:
    """`count` flooder processes against every target; with `as_guardian` > 0 they are insiders
    holding that guardian's libp2p key (its p2p.key under `run_dir`)."""
    identity = guardian_dir(run_dir, as_guardian) / IDENTITY_FILE if as_guardian else None
    out = []
    for i in range(1, count + 1):
        report = run_dir / f"flooder-{i}.json"
        # --nice: on one machine the attacker's own CPU would otherwise be taken from the
        # guardians, which a remote attacker cannot do
        argv = [sys.executable, "-m", "node.bench.flooder", "--nice", "--report", str(report)]
        if identity is not None:
            argv += ["--identity", str(identity)]
        for addr in targets:
            argv += ["--target", addr]
        out.append((group.spawn(f"flooder-{i}", argv, run_dir / "logs" / f"flooder-{i}.log"),
                    report))
    return out


def stop_flooders(flooders: list[tuple[ManagedProcess, Path]]) -> dict:
    """SIGTERM each flooder, wait for it, and add up what they reported."""
    totals: dict = {"flooders": len(flooders)}
    for proc, _ in flooders:
        proc.signal(signal.SIGTERM)
    for proc, report in flooders:
        if proc.process is not None:
            try:
                proc.process.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck flooder is killed with the group
                proc.kill()
        try:
            doc = json.loads(report.read_text())
        except (OSError, ValueError):
            continue
        for key, value in doc.items():
            if isinstance(value, (int, float)):
                totals[key] = totals.get(key, 0) + value
    return totals


def wait_for_flood(status_urls: dict[int, str], timeout: float = 20.0) -> None:
    """Until the guardians see the outsiders' traffic (dropped or banned), at most `timeout`: a
    pending exploit is contained within a block, so the flood must be on before the attack."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = [s.get("p2p") or {} for s in fetch_all(status_urls).values() if s]
        if any(p.get("dropped", 0) or p.get("bans", 0) for p in seen):
            return
        time.sleep(0.25)
