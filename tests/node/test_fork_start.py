"""The devnet's fast start: our `python -m` commands forked from a pre-imported server behave as
the subprocesses they replace (argv, exit code, log, environment, own process group, signals)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from node.devnet.fork_start import PRELOAD, ForkedProcess, can_fork
from node.devnet.processes import ManagedProcess, ProcessGroup

pytestmark = pytest.mark.timeout(60)

PROBE = """
import json, os, sys, time
out = {"argv": sys.argv[1:], "pid": os.getpid(), "pgid": os.getpgid(0),
       "env": os.environ.get("FORK_PROBE"), "name": __name__}
print("probe started", flush=True)
with open(os.environ["FORK_PROBE_OUT"], "w") as f:
    json.dump(out, f)
if "--sleep" in sys.argv:
    time.sleep(60)
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 0)
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "fork_probe_mod.py").write_text(textwrap.dedent(PROBE))
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "fork_probe_mod", *args]


def test_every_preloaded_module_imports():
    # the fork server ignores a module that fails to import: it would silently start slowly
    for name in PRELOAD:
        importlib.import_module(name)


def test_only_our_python_module_commands_are_forked(tmp_path: Path):
    assert can_fork([sys.executable, "-m", "node.cli", "run"])
    assert not can_fork(["anvil", "--port", "1"])
    assert not can_fork([sys.executable, "script.py"])
    with pytest.raises(ValueError, match="not a"):
        ForkedProcess(["anvil"], tmp_path / "log")
    proc = ManagedProcess("plain", ["sh", "-c", "exit 4"], tmp_path / "plain.log", fork=True)
    proc.start()
    assert isinstance(proc.process, subprocess.Popen) and proc.process.wait(10) == 4


def test_a_fork_runs_the_module_as_python_m_would(probe: Path):
    log = probe / "logs" / "probe.log"
    env = {**os.environ, "FORK_PROBE": "caller's value", "FORK_PROBE_OUT": str(probe / "o.json")}
    with ProcessGroup() as group:
        proc = group.spawn("probe", _argv("--flag", "x", "3"), log, env=env)
        assert isinstance(proc.process, ForkedProcess)
        assert proc.process.wait(30) == 3 and proc.process.returncode == 3
        assert not proc.alive()
    out = json.loads((probe / "o.json").read_text())
    assert out["argv"] == ["--flag", "x", "3"]
    assert out["name"] == "__main__"
    assert out["env"] == "caller's value"
    assert out["pgid"] == out["pid"] == proc.pid  # a process group of its own
    text = log.read_text()
    assert "probe started" in text and "to stderr" in text


def test_the_environment_is_the_callers_at_start_time(probe: Path, monkeypatch):
    monkeypatch.setenv("FORK_PROBE", "set after the server started")
    monkeypatch.setenv("FORK_PROBE_OUT", str(probe / "o.json"))
    with ProcessGroup() as group:
        assert group.spawn("probe", _argv(), probe / "p.log").process.wait(30) == 0
    assert json.loads((probe / "o.json").read_text())["env"] == "set after the server started"


def test_signals_reach_a_fork_and_a_group_stops_it(probe: Path, monkeypatch):
    monkeypatch.setenv("FORK_PROBE_OUT", str(probe / "o.json"))
    with ProcessGroup(grace_seconds=2) as group:
        proc = group.spawn("probe", _argv("--sleep"), probe / "p.log")
        deadline = time.monotonic() + 30
        while not (probe / "o.json").exists():  # another process: nothing to await
            assert time.monotonic() < deadline and proc.alive()
            time.sleep(0.05)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.process.wait(0.1)
        proc.signal(signal.SIGTERM)
        assert proc.process.wait(10) == -signal.SIGTERM
        second = group.spawn("probe-2", _argv("--sleep"), probe / "p2.log")
    assert not second.alive()  # the group's exit stopped it
    assert second.process.returncode is not None
