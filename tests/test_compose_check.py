"""The compose testnet for real: `scripts/compose-check` brings docker/docker-compose.yml up with
Docker or podman, checks that the exploit was contained (the attacker's exit code and the oracle's
ContainmentEngaged event) and that Prometheus scraped every guardian, and removes everything it
created except the images. Skips only when no container engine can be made to work (exit 77)."""

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
    assert "teardown: no container, volume, network or pod of the project is left" in out
