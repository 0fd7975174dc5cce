"""A devnet of real guardian processes for one fault scenario, built from node.devnet's pieces
(anvil, deploy_network, ProcessGroup, run_attack), with the hooks a fault needs: a TCP proxy per
guardian in front of anvil, per-guardian environment (Byzantine modes), and kill, restart, stop
and start of single guardians. Everything stops on exit."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from node.anvil import Anvil
from node.deploy import Deployer
from node.devnet.attack import AttackResult, run_attack
from node.devnet.network import ATTACKER_KEY, Topology, deploy_network
from node.devnet.processes import ManagedProcess, ProcessGroup, guardian_argv
from node.devnet.runner import set_interval_mining
from node.devnet.status import fetch_all
from node.errors import NodeError

TEST_MARKER = {"GUARDIAN_TEST_NETWORK": "1"}  # lets node.byzantine run (test chains only)


class ChaosNetError(NodeError, RuntimeError):
    """The scenario's devnet could not be brought up."""


@dataclass
class NetOptions:
    guardians: int
    threshold: int
    run_dir: Path
    block_time: int = 1
    env: dict[int, dict[str, str]] = field(default_factory=dict)  # guardian -> extra env
    chain_proxies: bool = False  # each guardian reaches anvil through its own TcpProxy
    mesh_timeout: float = 150.0
    wrap_argv: Callable[[int, list[str]], list[str]] | None = None  # e.g. run in a netns
    before_start: Callable[[], None] | None = None  # after the deployment, before the guardians
    topology: Callable[[Anvil], Topology] | None = None  # where guardians listen (netns)
    anvil_host: str = "127.0.0.1"


class ChaosNet:
    def __init__(self, opts: NetOptions, say: Callable[[str], None] = lambda _: None) -> None:
        self.opts = opts
        self.say = say
        self.run_dir = Path(opts.run_dir).resolve()
        self.group = ProcessGroup()
        self.chain: Anvil | None = None
        self.doc: dict = {}
        self.proxies: dict = {}
        self.procs: dict[int, ManagedProcess] = {}
        self.stopped_on_purpose: set[int] = set()
        self.crashes: dict[int, int] = {}  # guardian -> unplanned exits seen

    # bring-up -----------------------------------------------------------------------------------
    def __enter__(self) -> ChaosNet:
        try:
            self._up()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.group.stop_all()
        for proxy in self.proxies.values():
            proxy.stop()
        if self.chain is not None:
            self.chain.stop()

    def _up(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.chain = Anvil(host=self.opts.anvil_host, log_path=self.run_dir / "anvil.log").start()
        topology = (self.opts.topology(self.chain) if self.opts.topology else
                    Topology(self.chain.rpc_url, self.chain.ws_url))
        self.doc = deploy_network(self.run_dir, self.opts.guardians, self.opts.threshold,
                                  topology, log=lambda _: None)
        set_interval_mining(self.chain.rpc_url, self.opts.block_time)
        if self.opts.chain_proxies:
            self._put_proxies()
        if self.opts.before_start is not None:
            self.opts.before_start()
        for i in range(1, self.opts.guardians + 1):
            self.start_guardian(i)
        self.wait_for_mesh()

    def _put_proxies(self) -> None:
        from node.chaos.tcp_proxy import TcpProxy

        for i in range(1, self.opts.guardians + 1):
            proxy = TcpProxy(self.chain.port).start()
            self.proxies[i] = proxy
            config = self.config_path(i)
            config.write_text(config.read_text()
                              .replace(self.chain.rpc_url, f"http://127.0.0.1:{proxy.port}")
                              .replace(self.chain.ws_url, f"ws://127.0.0.1:{proxy.port}"))

    def config_path(self, i: int) -> Path:
        return self.run_dir / f"guardian-{i}" / "node.toml"

    def start_guardian(self, i: int) -> ManagedProcess:
        argv = guardian_argv(self.config_path(i))
        if self.opts.wrap_argv is not None:
            argv = self.opts.wrap_argv(i, argv)
        env = {**os.environ, **TEST_MARKER, **self.opts.env.get(i, {})}
        proc = self.group.spawn(f"guardian-{i}", argv, self.log_path(i), env=env)
        self.procs[i] = proc
        self.stopped_on_purpose.discard(i)
        return proc

    def log_path(self, i: int) -> Path:
        return self.run_dir / "logs" / f"guardian-{i}.log"

    def wait_for_mesh(self, timeout: float | None = None) -> None:
        n = self.opts.guardians
        deadline = time.monotonic() + (timeout or self.opts.mesh_timeout)
        while True:
            self.note_crashes()
            if self.crashes:
                raise ChaosNetError(f"guardians {sorted(self.crashes)} exited during start-up; "
                                    f"see {self.run_dir / 'logs'}")
            statuses = self.statuses()
            if all(s and s.get("ready") and s.get("head") and
                   len(s.get("live_guardians") or []) >= n for s in statuses.values()):
                return
            if time.monotonic() > deadline:
                raise ChaosNetError(f"the gossip mesh did not form within "
                                    f"{timeout or self.opts.mesh_timeout:.0f}s")
            time.sleep(0.5)  # the guardians are dialing each other

    # faults -------------------------------------------------------------------------------------
    def kill(self, i: int) -> None:
        self.stopped_on_purpose.add(i)
        self.procs[i].kill()

    def restart(self, i: int) -> ManagedProcess:
        self.kill(i)
        return self.start_guardian(i)

    def note_crashes(self) -> dict[int, int]:
        """Guardians that exited without the scenario stopping them (counted once each)."""
        for i, proc in self.procs.items():
            if i not in self.stopped_on_purpose and not proc.alive():
                self.crashes[i] = self.crashes.get(i, 0) + 1
                self.stopped_on_purpose.add(i)  # counted; a restart clears it
        return self.crashes

    # observation --------------------------------------------------------------------------------
    def statuses(self) -> dict[int, dict | None]:
        return fetch_all({int(k): v for k, v in self.doc["status_urls"].items()})

    def w3(self):
        return Deployer.connect(self.chain.rpc_url, ATTACKER_KEY).w3

    def head(self) -> int:
        return self.w3().eth.block_number

    def attack(self, max_steps: int = 12, stop: Callable[[], bool] = lambda: False
               ) -> AttackResult:
        attacker = Deployer.connect(self.chain.rpc_url, ATTACKER_KEY)
        return run_attack(attacker, self.doc["deployment"], max_steps=max_steps,
                          on_event=self.say, stop=stop)

    def attack_in_background(self, max_steps: int = 12) -> tuple[threading.Thread, dict]:
        """The attack in a thread (the scenario injects faults meanwhile): join it, then read
        box["result"] (or box["error"])."""
        box: dict = {}

        def target() -> None:
            try:
                box["result"] = self.attack(max_steps)
            except Exception as exc:  # noqa: BLE001 - reported by the scenario
                box["error"] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread, box

    def wait_until(self, condition: Callable[[], bool], timeout: float, poll: float = 0.5
                   ) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(poll)  # polling processes and the chain: no event to await
        return True
