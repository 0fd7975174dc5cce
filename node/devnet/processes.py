"""Start and stop guardian processes for the devnet, leaving nothing behind.

Each guardian runs as its own OS process (`python -m node.cli run --config ...`) in its own process
group, with stdout and stderr in the run directory. A group forks our own `python -m` commands from
a pre-imported server (`fork_start`), which saves each about 3 s of CPU at start-up; anything else,
and a lone `ManagedProcess`, is a plain subprocess. `ProcessGroup` is a context manager: on exit,
on Ctrl-C or on an error it sends SIGTERM to every group, waits a grace period, then SIGKILLs what
is left and reaps everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from node.devnet.fork_start import ForkedProcess, can_fork, warm_up


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    fork: bool = False  # from the pre-imported server, where the argv allows it
    process: subprocess.Popen | ForkedProcess | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.fork and can_fork(self.argv):
            self.process = ForkedProcess(self.argv, self.log_path, self.env)
            return
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env=self.env)
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                try:  # a fork that has not yet made its own group
                    os.kill(self.process.pid, sig)
                except ProcessLookupError:
                    pass

    def kill(self) -> None:
        """Kill abruptly (used to simulate a crashed guardian)."""
        self.signal(signal.SIGKILL)
        if self.process:
            self.process.wait()


class ProcessGroup:
    def __init__(self, grace_seconds: float = 5.0, fork: bool = True):
        self.grace = grace_seconds
        self.fork = fork
        if fork:
            warm_up()  # the server imports while the caller prepares what it will start
        self.processes: list[ManagedProcess] = []

    def spawn(self, name: str, argv: list[str], log_path: Path,
              env: dict[str, str] | None = None) -> ManagedProcess:
        proc = ManagedProcess(name, argv, log_path, env, fork=self.fork)
        proc.start()
        self.processes.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.processes:
            proc.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for proc in self.processes:
            if proc.process is None:
                continue
            try:
                proc.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.signal(signal.SIGKILL)
                proc.process.wait()
            # the group may hold children of the guardian: make sure they are gone too
            try:
                os.killpg(proc.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def guardian_argv(config_path: Path) -> list[str]:
    return [sys.executable, "-m", "node.cli", "run", "--config", str(config_path)]


def process_stats(pid: int) -> dict | None:
    """CPU seconds used so far and resident memory of a live process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        rss_kb = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
        return {"cpu_seconds": round(cpu, 2), "rss_mb": round(rss_kb / 1024, 1)}
    except (OSError, ValueError, IndexError):
        return None
