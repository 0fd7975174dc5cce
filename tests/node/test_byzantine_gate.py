"""Issue 17: the Byzantine fault modes are test-only. A node asked for one outside a test network
(no GUARDIAN_TEST_NETWORK=1 marker, or a chain id that is not anvil's) refuses to start with a
clear error, before it reads a single key."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio

from node.byzantine.gate import MODES, ByzantineRefused, requested_mode
from node.startup import StartupError, run_node


def test_honest_unless_asked():
    assert requested_mode(1, {}) is None
    assert requested_mode(31337, {"GUARDIAN_TEST_NETWORK": "1"}) is None


@pytest.mark.parametrize("chain_id, env", [
    (1, {"GUARDIAN_BYZANTINE": "withhold", "GUARDIAN_TEST_NETWORK": "1"}),  # mainnet
    (31337, {"GUARDIAN_BYZANTINE": "withhold"}),                             # no marker
    (31337, {"GUARDIAN_BYZANTINE": "withhold", "GUARDIAN_TEST_NETWORK": "yes"}),
])
def test_refused_outside_a_test_network(chain_id, env):
    with pytest.raises(ByzantineRefused, match="test-only fault mode and is refused"):
        requested_mode(chain_id, env)


def test_unknown_mode_refused_and_known_modes_accepted():
    env = {"GUARDIAN_TEST_NETWORK": "1"}
    with pytest.raises(ByzantineRefused, match="unknown mode"):
        requested_mode(31337, {**env, "GUARDIAN_BYZANTINE": "chaos-monkey"})
    for mode in MODES:
        assert requested_mode(31337, {**env, "GUARDIAN_BYZANTINE": mode}) == mode


def test_a_production_config_does_not_start(monkeypatch):
    monkeypatch.setenv("GUARDIAN_BYZANTINE", "invalid-partial")
    monkeypatch.setenv("GUARDIAN_TEST_NETWORK", "1")
    cfg = SimpleNamespace(chain=SimpleNamespace(chain_id=1))  # nothing else is read first
    with pytest.raises(StartupError, match="GUARDIAN_BYZANTINE=invalid-partial is a test-only"):
        trio.run(run_node, cfg)


def test_clock_skew_is_test_only_too():
    from node.byzantine.gate import requested_skew

    assert requested_skew(1, {}) == 0.0
    assert requested_skew(31337, {"GUARDIAN_TEST_NETWORK": "1",
                                  "GUARDIAN_CLOCK_SKEW_SECONDS": "30"}) == 30.0
    with pytest.raises(ByzantineRefused, match="test-only"):
        requested_skew(1, {"GUARDIAN_TEST_NETWORK": "1", "GUARDIAN_CLOCK_SKEW_SECONDS": "30"})
    with pytest.raises(ByzantineRefused, match="not a number"):
        requested_skew(31337, {"GUARDIAN_TEST_NETWORK": "1", "GUARDIAN_CLOCK_SKEW_SECONDS": "x"})
