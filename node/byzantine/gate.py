"""Whether this process may run a Byzantine mode (see node.byzantine): only on a test network."""

from __future__ import annotations

import os

from node.errors import NodeError

MODE_ENV = "GUARDIAN_BYZANTINE"
MARKER_ENV = "GUARDIAN_TEST_NETWORK"
TEST_CHAIN_IDS = frozenset({31337})  # anvil / hardhat
MODES = ("invalid-partial", "equivocate", "false-report", "replay", "flood", "withhold")


class ByzantineRefused(NodeError):
    """A Byzantine mode was asked for where it must not run, or is unknown."""


def requested_mode(chain_id: int, environ=None) -> str | None:
    """The Byzantine mode to run, None for an honest node; ByzantineRefused outside a test
    network or for an unknown mode."""
    env = os.environ if environ is None else environ
    mode = env.get(MODE_ENV, "").strip()
    if not mode:
        return None
    if env.get(MARKER_ENV) != "1" or chain_id not in TEST_CHAIN_IDS:
        raise ByzantineRefused(
            f"{MODE_ENV}={mode} is a test-only fault mode and is refused here: it needs "
            f"{MARKER_ENV}=1 and a test chain (chain id {sorted(TEST_CHAIN_IDS)}), this node "
            f"runs chain id {chain_id}. Unset {MODE_ENV} to run an honest guardian.")
    if mode not in MODES:
        raise ByzantineRefused(f"{MODE_ENV}={mode}: unknown mode; one of {', '.join(MODES)}")
    return mode
