"""The guardians of one `scripts/bench detection` column: keys from a trusted dealer, the
GuardianOracle built from the column's source tree, and N `guardian run` processes whose Python
comes from that tree (PYTHONPATH, with `-P` so the current directory does not shadow it). The
"before" column runs the baseline commit's sources (exported with `git archive`), the "after"
column this checkout."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from node.config import render_config
from node.dealer import IDENTITY_FILE, deal_keys, guardian_dir
from node.devnet.network import ring_neighbours
from node.devnet.processes import ProcessGroup
from node.devnet.status import fetch_all
from node.errors import NodeError
from node.keys import write_secret_file, write_submitter_key
from node.p2p.identity import load_identity, peer_id_of
from node.ports import free_ports
from node.toolchain import REPO_ROOT
from protocol.bls import get_backend

KDF_N = 2**14
FANOUT = 4
ROTATION_DELAY = 2 * 24 * 3600


class BaselineError(NodeError, RuntimeError):
    """The baseline commit could not be checked out; the message says why."""


@dataclass
class Column:
    """Where one column's guardians come from."""

    label: str  # before / after
    tree: Path  # a source tree: its node/, protocol/ and node/artifacts/
    commit: str

    def artifact(self, name: str) -> dict:
        return json.loads((self.tree / "node" / "artifacts" / f"{name}.json").read_text())


def head_commit(tree: Path = REPO_ROOT) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True,
                          text=True, check=False).stdout.strip() or "working tree"


@contextmanager
def baseline_tree(commit: str, parent: Path):
    """The Python sources and shipped artifacts of `commit`, exported under `parent` (`git
    archive`: no worktree is registered in the repository)."""
    path = parent / f"baseline-{commit}"
    path.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "node", "protocol"],
                             cwd=REPO_ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise BaselineError(f"git archive {commit}: {archive.stderr.decode().strip()[-400:]}")
    subprocess.run(["tar", "-x", "-C", str(path)], input=archive.stdout, check=True)
    full = subprocess.run(["git", "rev-parse", "--short", commit], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False).stdout.strip()
    yield Column("before", path, full or commit)


def deploy_oracle(chain, column: Column, gset, backend):
    """The column's GuardianOracle, with the dealt group key, bond 0.01 ether."""
    return chain.deploy("GuardianOracle", chain.gov.account.address,
                        backend.g1_to_eip2537(gset.group_public_key), gset.threshold, gset.n,
                        ROTATION_DELAY, 10**16, artifact=column.artifact("GuardianOracle"))


def deal(run_dir: Path, n: int, t: int):
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    passphrase = secrets.token_urlsafe(18)
    write_secret_file(run_dir / "passphrase", passphrase.encode() + b"\n", force=True)
    backend = get_backend()
    return deal_keys(run_dir, n, t, passphrase, backend=backend, kdf_n=KDF_N, force=True), backend


def start_guardians(group: ProcessGroup, column: Column, run_dir: Path, n: int, rpc_http: str,
                    rpc_ws: str, chain_id: int, oracle: str, fund) -> dict[int, str]:
    """Write each guardian's config and start it; returns the status URLs."""
    p2p_ports, metric_ports = free_ports(n), free_ports(n)
    ids = {i: load_identity(guardian_dir(run_dir, i) / IDENTITY_FILE) for i in range(1, n + 1)}
    addrs = {i: f"/ip4/127.0.0.1/tcp/{p2p_ports[i - 1]}/p2p/{peer_id_of(ids[i])}" for i in ids}
    env = {**os.environ, "PYTHONPATH": str(column.tree)}
    urls = {}
    for i in range(1, n + 1):
        gdir = guardian_dir(run_dir, i)
        key = secrets.token_bytes(32)
        write_submitter_key(gdir / "submitter.key", key, force=True)
        fund(key)
        (gdir / "data").mkdir(mode=0o700, exist_ok=True)
        config = render_config(
            name=f"guardian-{i}", data_dir="data", rpc_http=rpc_http, rpc_ws=rpc_ws,
            chain_id=chain_id, oracle=oracle, share_keystore="share.keystore.json",
            guardian_set="../guardian-set.json", p2p_identity="p2p.key",
            passphrase_file="../passphrase", submitter_key_file="submitter.key",
            listen=f"/ip4/127.0.0.1/tcp/{p2p_ports[i - 1]}",
            bootstrap=ring_neighbours(addrs, i, FANOUT),
            metrics_listen=f"127.0.0.1:{metric_ports[i - 1]}", stagger_seconds=1.0)
        (gdir / "node.toml").write_text(config)
        argv = [sys.executable, "-P", "-m", "node.cli", "run", "--config", str(gdir / "node.toml")]
        group.spawn(f"{column.label}-guardian-{i}", argv, run_dir / "logs" / f"guardian-{i}.log",
                    env=env)
        urls[i] = f"http://127.0.0.1:{metric_ports[i - 1]}"
    return urls


def wait_ready(urls: dict[int, str], group: ProcessGroup, timeout: float = 180.0) -> None:
    """Until every guardian is ready and hears all the others."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in group.processes:
            if not proc.alive():
                raise NodeError(f"{proc.name} exited during start-up; see {proc.log_path}")
        docs = fetch_all(urls)
        if all(d and d.get("ready") and len(d.get("live_guardians") or []) >= len(urls)
               for d in docs.values()):
            return
        time.sleep(0.5)  # the guardians start their own services
    raise NodeError("the guardians' gossip mesh did not form in time")


def caught_up(urls: dict[int, str], head, timeout: float = 180.0) -> bool:
    """Until every guardian's detectors have judged the chain's head (`scanned` in /status; a
    guardian that has only read the head is still working off its start-up backlog, and the
    events would meet it busy, which is not the steady state a benchmark measures). `head`: the
    chain's head, a callable. False if they have not after `timeout` seconds (a guardian of a
    column built before /status had `scanned` is judged by its `head`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h = head()
        docs = fetch_all(urls).values()
        if all(d and d.get("scanned", d.get("head", 0)) >= h - 1 for d in docs):
            return True
        time.sleep(0.2)
    return False


DETECTED = re.compile(r"guardian-(\d+) guardian\.pipeline: detected (\w+) on protocol 0x([0-9a-f]+) "
                      r"at block (\d+)")


def detections(log_dir: Path) -> dict[str, dict[str, int]]:
    """Protocol id prefix (12 hex digits, as node.pipeline logs it) -> evidence kind -> how many
    guardians detected it, from the guardians' logs (the /status incidents of a loaded guardian
    may not answer in time; the log line is in every version of the pipeline)."""
    seen: dict[str, dict[str, set[str]]] = {}
    for path in sorted(log_dir.glob("guardian-*.log")):
        for match in DETECTED.finditer(path.read_text(errors="replace")):
            guardian, kind, pid = match.group(1), match.group(2), match.group(3)
            seen.setdefault(pid, {}).setdefault(kind, set()).add(guardian)
    return {pid: {kind: len(g) for kind, g in kinds.items()} for pid, kinds in seen.items()}
