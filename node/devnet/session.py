"""`guardian devnet up` and `guardian devnet down`: a devnet that stays up between commands.

`up` starts anvil and the guardians as detached processes (each in its own session, output in
the run directory), deploys, switches anvil to interval mining, waits for the gossip mesh, writes
a state file and returns, leaving everything running. `guardian devnet attack` finds the devnet
through that file; `down` stops every process it names (SIGTERM, then SIGKILL after a grace
period), checking first that each pid is still the process `up` started.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.deploy import DeployError
from node.devnet.network import Topology, deploy_network, free_ports, wait_for_rpc
from node.devnet.processes import ManagedProcess, guardian_argv
from node.devnet.runner import set_interval_mining
from node.devnet.status import fetch_all
from node.errors import NodeError
from node.toolchain import DEVNET_STATE

DEFAULT_STATE = DEVNET_STATE


class DevnetSessionError(NodeError, RuntimeError):
    """No devnet is up, one is already up, or it could not be brought up."""


@dataclass
class Session:
    """What `up` leaves for `attack` and `down` (the state file, JSON)."""

    run_dir: str
    rpc_http: str
    rpc_ws: str
    block_time: int
    guardians: int
    threshold: int
    processes: dict[str, int]  # name -> pid (each the leader of its own process group)
    started_unix: float
    instances: list[dict] = field(default_factory=list)  # demo protocol instances, newest last
    attacks: list[dict] = field(default_factory=list)

    @property
    def deployment_path(self) -> Path:
        return Path(self.run_dir) / "deployment.json"

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Session:
        try:
            return cls(**json.loads(Path(path).read_text()))
        except FileNotFoundError as exc:
            raise DevnetSessionError(f"no devnet is up ({path} not found): run "
                                     "`guardian devnet up` first") from exc


def _same_process(pid: int, marker: str) -> bool:
    """Whether `pid` is alive and still the process we started (its command line names it)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def _marker(name: str, session: Session) -> str:
    """anvil's command line names its port; a guardian's names its config in the run dir."""
    if name == "anvil":
        return f"--port {session.rpc_http.rsplit(':', 1)[1]} "
    return session.run_dir


def alive(session: Session) -> dict[str, int]:
    return {name: pid for name, pid in session.processes.items()
            if _same_process(pid, _marker(name, session))}


def up(run_dir: Path, state_path: Path, *, guardians: int = 7, threshold: int = 5,
       block_time: int = 1, mesh_timeout: float = 120.0, say=print,
       dealer: bool = False) -> Session:
    if state_path.exists():
        old = Session.load(state_path)
        if alive(old):
            raise DevnetSessionError(f"a devnet is already up ({old.run_dir}); "
                                     "`guardian devnet down` stops it")
        state_path.unlink()
    if not 1 <= threshold <= guardians:
        raise DevnetSessionError(f"--threshold must be between 1 and --guardians ({guardians})")
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    chain = Anvil(port=port)
    session = Session(str(run_dir), chain.rpc_url, chain.ws_url, block_time, guardians,
                      threshold, {}, time.time())
    started: list[ManagedProcess] = []
    try:
        anvil = ManagedProcess("anvil", chain.command(), run_dir / "logs" / "anvil.log")
        anvil.start()
        started.append(anvil)
        session.processes["anvil"] = anvil.pid
        _wait_for_rpc(chain.rpc_url, anvil)
        say(f"anvil on {chain.rpc_url} (Prague, chain id {chain.chain_id}); log "
            f"{anvil.log_path}")
        doc = deploy_network(run_dir, guardians, threshold, Topology(chain.rpc_url, chain.ws_url),
                             log=say, dealer=dealer)
        session.instances.append({**doc["deployment"], "attacked": False})
        set_interval_mining(chain.rpc_url, block_time)
        for i in range(1, guardians + 1):
            proc = ManagedProcess(f"guardian-{i}", guardian_argv(run_dir / f"guardian-{i}" /
                                                                 "node.toml"),
                                  run_dir / "logs" / f"guardian-{i}.log")
            proc.start()
            started.append(proc)
            session.processes[proc.name] = proc.pid
        session.save(state_path)
        say(f"started {guardians} guardian processes; waiting for the gossip mesh")
        _wait_for_mesh(doc, started, mesh_timeout)
    except BaseException:
        for proc in started:
            proc.signal(signal.SIGKILL)
            if proc.process:
                proc.process.wait()
        state_path.unlink(missing_ok=True)
        raise
    for proc in started:  # detach: nothing of ours waits for them; `down` stops them
        proc.process = None
    return session


def _wait_for_rpc(url: str, anvil: ManagedProcess, timeout: float = 30) -> None:
    try:
        wait_for_rpc(url, timeout, alive=anvil.alive, poll=0.1)
    except DeployError:
        raise DevnetSessionError(f"anvil did not answer; see {anvil.log_path}") from None


def _wait_for_mesh(doc: dict, procs: list[ManagedProcess], timeout: float) -> None:
    urls = {int(k): v for k, v in doc["status_urls"].items()}
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            if not proc.alive():
                raise DevnetSessionError(f"{proc.name} exited during start-up; see "
                                         f"{proc.log_path}")
        statuses = fetch_all(urls)
        if all(s and s.get("ready") and len(s.get("live_guardians") or []) >= len(urls)
               for s in statuses.values()):
            return
        if time.monotonic() > deadline:
            raise DevnetSessionError(f"the gossip mesh did not form within {timeout:.0f}s")
        time.sleep(0.5)  # the guardians are dialing each other


def down(state_path: Path, *, grace: float = 5.0, say=print) -> list[str]:
    """Stop every process of the devnet; returns the names it stopped."""
    session = Session.load(state_path)
    running = alive(session)
    for pid in running.values():
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(session):
        time.sleep(0.1)
    for name, pid in alive(session).items():
        say(f"{name} did not stop within {grace:.0f}s: killed")
        _signal_group(pid, signal.SIGKILL)
    for pid in running.values():
        _signal_group(pid, signal.SIGKILL)  # children the leader left in its group
    deadline = time.monotonic() + grace
    while alive(session):
        if time.monotonic() > deadline:
            raise DevnetSessionError(f"still running after SIGKILL: {alive(session)}")
        time.sleep(0.05)
    for pid in running.values():
        _reap(pid)
    state_path.unlink(missing_ok=True)
    return sorted(running)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    """A child of this very process (`up` called in-process) would stay a zombie; it is dead by
    now, so waiting returns at once."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def describe(session: Session, doc: dict, state_path: Path = DEFAULT_STATE) -> list[str]:
    """What `up` prints: where everything is and what to try."""
    state = "" if state_path == DEFAULT_STATE else f" --state {state_path}"
    dep = doc["deployment"]
    gov_key = DEV_PRIVATE_KEYS[0]
    lines = [
        f"devnet up: {session.guardians} guardians, threshold {session.threshold}; run "
        f"directory {session.run_dir}",
        f"chain        {session.rpc_http} (ws {session.rpc_ws}), chain id {dep['chain_id']}, "
        f"interval mining: one block every {session.block_time}s",
        f"oracle       {dep['oracle']}",
        f"demo pool    {dep['pool']} (protocol id {dep['protocol_id']})",
        f"demo AMM     {dep['amm']}; tokens USDd {dep['usd']}, WETHd {dep['weth']}",
        f"governance   {dep['governance']} (anvil's dev account 0, key {gov_key}): owns the "
        "demo protocol, lifts or extends its containment",
        f"attacker     {doc['attacker']} (anvil's dev account 9)",
    ]
    for i, url in sorted(doc["status_urls"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"guardian {i:>3}  {url}/status  {url}/metrics  p2p {doc['p2p'][i]}")
    lines += [
        "try:",
        f"  guardian devnet attack{state}                    the exploit (repeatable: each "
        "attack after the first gets a fresh demo pool)",
        f"  guardian devnet attack{state} --scenario paced   one attack tx every 3 blocks "
        "(also: single)",
        f"  guardian status --url {doc['status_urls']['1']}",
        f"  curl -s {doc['status_urls']['1']}/metrics",
        f"  guardian devnet down{state}                      stop everything",
    ]
    return lines
