"""Start our own Python commands as forks of a process that has already imported them.

Every guardian, ceremony participant and explorer process first imports trio, web3, libp2p and the
node's modules: about 3 s of CPU before it does anything. A devnet starts 7 ceremony processes and
then 7 guardians at once on a small machine, so start-up alone took some 20 s of its minute.

Here the standard library's fork server (`multiprocessing`, start method "forkserver") imports
`PRELOAD` once, in a single-threaded process of its own, and each command is a fork of it. Each
is still its own OS process with its own session (process group), log file, environment and exit
code, as with `subprocess.Popen`; `ForkedProcess` offers the part of Popen's interface the devnet
uses. Only argv of the form `[sys.executable, "-m", module, ...]` can be started this way; the
module runs as `python -m` would run it, in the caller's environment of the moment.

Not for processes that must outlive the command that started them (`guardian devnet up`): the
standard library waits for its children when that command exits.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import threading
from multiprocessing import forkserver
from pathlib import Path

PRELOAD = ("trio", "web3", "libp2p", "node.startup", "node.p2p.service", "node.dkg.runner",
           "node.explorer.server", "node.commands.run")

_context = None
_lock = threading.Lock()


def context():
    """The fork-server context, with `PRELOAD` set (once per process)."""
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(list(PRELOAD))
            _context = ctx
        return _context


def warm_up() -> None:
    """Start the fork server (and its imports) in the background, so that the first start does
    not wait for it."""
    context()
    threading.Thread(target=forkserver.ensure_running, name="fork-server", daemon=True).start()


def can_fork(argv: list[str]) -> bool:
    return len(argv) >= 3 and argv[0] == sys.executable and argv[1] == "-m"


class ForkedProcess:
    """A `python -m module args...` process forked from the server: pid, poll(), wait(),
    returncode, as on `subprocess.Popen`."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        if not can_fork(argv):
            raise ValueError(f"not a `{sys.executable} -m module` command: {argv[:3]}")
        self.args = list(argv)
        self._proc = context().Process(target=_child, name=argv[2], daemon=True,
                                       args=(argv[2], argv[3:], str(log_path),
                                             dict(os.environ if env is None else env)))
        self._proc.start()
        self.pid: int = self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.exitcode

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._proc.join(timeout)
        if self._proc.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self._proc.exitcode


def _child(module: str, args: list[str], log_path: str, env: dict[str, str]) -> None:
    """In the fork: a session of its own, output to the log, the caller's environment, then the
    module as `python -m` runs it (its `sys.exit` code is the exit code)."""
    os.setsid()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()  # the caller's environment now, as Popen would pass it
    os.environ.update(env)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
