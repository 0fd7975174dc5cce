"""Whether this process may run a Byzantine mode (see node.byzantine): only on a test network."""

from __future__ import annotations

import os

from node.errors import NodeError

MODE_ENV = "GUARDIAN_BYZANTINE"
SKEW_ENV = "GUARDIAN_CLOCK_SKEW_SECONDS"  # a wall clock this far off (the clock-skew scenario)
MARKER_ENV = "GUARDIAN_TEST_NETWORK"
TEST_CHAIN_IDS = frozenset({31337})  # anvil / hardhat
MODES = ("invalid-partial", "equivocate", "false-report", "replay", "flood", "withhold")


class ByzantineRefused(NodeError):
    """A Byzantine mode was asked for where it must not run, or is unknown."""


def _refuse_outside_tests(name: str, value: str, chain_id: int, env) -> None:
    if env.get(MARKER_ENV) != "1" or chain_id not in TEST_CHAIN_IDS:
        raise ByzantineRefused(
            f"{name}={value} is a test-only fault mode and is refused here: it needs "
            f"{MARKER_ENV}=1 and a test chain (chain id {sorted(TEST_CHAIN_IDS)}), this node "
            f"runs chain id {chain_id}. Unset {name} to run an honest guardian.")


def requested_skew(chain_id: int, environ=None) -> float:
    """Seconds to add to this process's wall clock (0: none); refused outside a test network."""
    env = os.environ if environ is None else environ
    value = env.get(SKEW_ENV, "").strip()
    if not value:
        return 0.0
    _refuse_outside_tests(SKEW_ENV, value, chain_id, env)
    try:
        return float(value)
    except ValueError:
        raise ByzantineRefused(f"{SKEW_ENV}={value}: not a number of seconds") from None


def requested_mode(chain_id: int, environ=None) -> str | None:
    """The Byzantine mode to run, None for an honest node; ByzantineRefused outside a test
    network or for an unknown mode."""
    env = os.environ if environ is None else environ
    mode = env.get(MODE_ENV, "").strip()
    if not mode:
        return None
    _refuse_outside_tests(MODE_ENV, mode, chain_id, env)
    if mode not in MODES:
        raise ByzantineRefused(f"{MODE_ENV}={mode}: unknown mode; one of {', '.join(MODES)}")
    return mode
