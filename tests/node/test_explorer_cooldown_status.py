"""The explorer's registry row says when a PAUSE may still engage inside a cooldown: the oracle
refuses every containment during a cooldown a PAUSE started, but not a PAUSE after a weaker action
(issue 24: a false circuit breaker, lifted, must not open a window for the exploit)."""

from __future__ import annotations

from types import SimpleNamespace

import trio

from node.explorer.registry import protocol_rows
from protocol.digest import Action

NOW = 1_700_000_000
PID = b"\x11" * 32


class FakeOracle:
    def __init__(self, last_action: int):
        self.last_action = last_action

    async def protocol_ids(self):
        return [PID]

    async def registration(self, pid, block):
        return SimpleNamespace(target=b"\x01" * 20, admin=b"\x02" * 20, allowed_actions=0x06,
                               hook_kind=0, pause_selector=b"\x00" * 4, max_duration=3600,
                               cooldown=600)

    async def containment(self, pid, block):
        return SimpleNamespace(action=self.last_action, active=False, expires_at=NOW - 60)

    async def block_timestamp(self, number):
        return NOW - 60  # lifted a minute ago: the cooldown runs 9 more minutes


class FakeTracker:
    async def watched_at(self, pid, head):
        params = SimpleNamespace(monitored=[], claims=None, tokens=[], outflow_limit_bps=0, window_blocks=1,
                                 balance_drop_bps=0, invariants=[])
        return SimpleNamespace(release_block=7, failed_action=0, nonce=1, params=params)


def _status(last_action: int) -> str:
    async def main():
        return await protocol_rows(FakeOracle(last_action), FakeTracker(), head=9, now=NOW)
    (row,) = trio.run(main)
    return row["status"]


def test_after_a_circuit_breaker_a_pause_may_still_engage():
    status = _status(int(Action.CIRCUIT_BREAKER))
    assert status.startswith("cooling down until") and "a PAUSE may still engage" in status


def test_after_a_pause_nothing_may_engage():
    status = _status(int(Action.PAUSE))
    assert status.startswith("cooling down until") and "PAUSE" not in status
