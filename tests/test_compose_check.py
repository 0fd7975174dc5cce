"""The compose testnet for real: `scripts/compose-check` brings docker/docker-compose.yml up with
Docker or podman, checks that the exploit was contained (the attacker's exit code and the oracle's
ContainmentEngaged event), that every guardian container ran its own ceremony participant and no
container's volumes hold another guardian's share, that Prometheus scraped every guardian, and
removes everything it created except the images. Skips only when no container engine can be made to work (exit 77)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "guardian-network-test"

pytestmark = [pytest.mark.slow, pytest.mark.containers, pytest.mark.timeout(1800)]


def test_compose_testnet_contains_the_exploit_and_leaves_nothing_behind():
    proc = subprocess.run([str(ROOT / "scripts" / "compose-check"), "--project", PROJECT],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL, timeout=1700)
    out = proc.stdout
    print(out)  # the timings, shown with -s or on failure
    if proc.returncode == 77:
        pytest.skip("no container engine can be made to work here: " + out.strip()[-300:])
    assert proc.returncode == 0, out
    assert "attacker exited 0" in out and "contained: True" in out
    assert "oracle: ContainmentEngaged" in out and "hook succeeded: True" in out
    assert "Prometheus: up == 1 for all 7 guardian targets" in out
    assert "per-container ceremonies: all 7 guardians ran their own participant" in out
    assert "volumes: each guardian-i reads share i only" in out and "no share, no secret" in out
    assert "teardown: no container, volume, network or pod of the project is left" in out
