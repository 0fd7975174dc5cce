"""Find a container engine that works, installing rootful podman when no Docker engine answers.

Docker: `docker info` must answer (a CLI without a daemon does not count) and `docker compose`
must exist. Otherwise podman, with the settings this kind of machine needs: runc (crun cannot set
rlimits in its sandbox), default ulimits through a containers.conf given by CONTAINERS_CONF, and
podman-compose 1.6 (Debian's 1.0 ignores `name:` and `depends_on` conditions) called with a
podman wrapper that drops `--requires=` (podman 4.3 rejects chained dependencies; podman-compose
still waits for `service_completed_successfully` itself).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from node.errors import NodeError

PODMAN_COMPOSE = "podman-compose==1.6.0"
# dnsname: with Debian podman's CNI network backend, containers find each other by service name
# only through this plugin (without it the deployer cannot resolve `anvil`).
APT_PACKAGES = ("podman", "mmdebstrap", "runc", "golang-github-containernetworking-plugin-dnsname")
NEEDED = {"podman": "podman", "mmdebstrap": "mmdebstrap", "runc": "runc",
          "dnsname": "/usr/lib/cni/dnsname"}
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
"""
PODMAN_WRAPPER = """\
#!/bin/sh
# podman for podman-compose: drop --requires=... (podman 4.3 rejects chained depends_on)
for arg do
  shift
  case "$arg" in --requires=*) continue ;; esac
  set -- "$@" "$arg"
done
exec podman "$@"
"""


class EngineUnavailable(NodeError, RuntimeError):
    """Neither a Docker engine nor podman can be made to work on this machine."""


@dataclass
class Engine:
    kind: str  # "docker" or "podman"
    cli: list[str]  # the engine's own CLI: build, images, volumes, cp
    compose: list[str]  # the compose front end, without -f/-p
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True, capture: bool = True,
            timeout: float | None = None) -> subprocess.CompletedProcess:
        return _run([*self.cli, *args], env=self.env, check=check, capture=capture,
                    timeout=timeout)

    def compose_run(self, files: list[Path], project: str, *args: str, check: bool = True,
                    capture: bool = True, timeout: float | None = None,
                    ) -> subprocess.CompletedProcess:
        head = [*self.compose, "-p", project]
        for f in files:
            head += ["-f", str(f)]
        return _run([*head, *args], env=self.env, check=check, capture=capture, timeout=timeout)


def _run(argv: list[str], *, env: dict[str, str] | None = None, check: bool = True,
         capture: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, env={**os.environ, **(env or {})}, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)
    if check and proc.returncode != 0:
        raise NodeError(f"`{' '.join(argv)}` exited {proc.returncode}:\n"
                        f"{(proc.stdout or '')[-3000:]}")
    return proc


def _answers(argv: list[str], env: dict[str, str] | None = None) -> bool:
    try:
        return _run(argv, env=env, check=False, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def docker_engine() -> Engine | None:
    if not shutil.which("docker"):
        return None
    if _answers(["docker", "info"]) and _answers(["docker", "compose", "version"]):
        return Engine("docker", ["docker"], ["docker", "compose"])
    return None


def podman_engine(state_dir: Path, venv_bin: Path, say, install: bool = True) -> Engine:
    """Rootful podman with podman-compose, installed when missing (apt-get, pip)."""
    missing = [name for name, exe in NEEDED.items() if not shutil.which(exe)]
    if missing:
        if not install:
            raise EngineUnavailable(f"missing {', '.join(missing)} and installing is off")
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise EngineUnavailable(f"missing {', '.join(missing)}: no Docker engine answers, and "
                                    "installing podman needs root and apt-get")
        say(f"installing {' '.join(APT_PACKAGES)} (apt-get; none of {', '.join(missing)} found)")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        try:
            _run(["apt-get", "update", "-qq"], env=env, timeout=600)
            _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES],
                 env=env, timeout=900)
        except (NodeError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailable(f"could not install podman: {exc}") from exc
    compose = venv_bin / "podman-compose"
    if not _answers([str(compose), "version"]):
        say(f"installing {PODMAN_COMPOSE} into {venv_bin.parent} (pip)")
        try:
            _run([str(venv_bin / "python"), "-m", "pip", "install", "--quiet", PODMAN_COMPOSE],
                 timeout=600)
        except (NodeError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailable(f"could not install {PODMAN_COMPOSE}: {exc}") from exc
    state_dir.mkdir(parents=True, exist_ok=True)
    conf = state_dir / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    wrapper = state_dir / "podman-for-compose"
    wrapper.write_text(PODMAN_WRAPPER)
    wrapper.chmod(0o755)
    env = {"CONTAINERS_CONF": str(conf)}
    if not _answers(["podman", "info"], env):
        raise EngineUnavailable("podman is installed but `podman info` fails")
    return Engine("podman", ["podman"],
                  [str(compose), "--podman-path", str(wrapper)], env)


def find_engine(state_dir: Path, say, install: bool = True) -> Engine:
    engine = docker_engine()
    if engine:
        say("container engine: Docker (docker info answers), with docker compose")
        return engine
    say("no Docker engine answers: using rootful podman with podman-compose")
    venv_bin = Path(sys.executable).parent
    return podman_engine(state_dir, venv_bin, say, install=install)
