"""A failed hook is not a containment (issue 12 defect 4): the registry reports the protocol as
not contained, remembers the failed action and why it failed, detection goes on, and the next
allowed action is the one reported."""

from __future__ import annotations

import logging

from node.chain.oracle import Containment
from node.chain.registry import RegistryTracker
from node.records import usable_actions
from node.registration import Registration
from protocol.detection import EvidenceKind, choose_action

PID = b"\x42" * 32
REG = Registration(target=b"\x07" * 20, admin=b"\x08" * 20, allowed_actions=0b1010,  # pause, lock
                   hook_kind=1, pause_selector=bytes.fromhex("8456cb59"), max_duration=3600,
                   cooldown=600, monitored=(b"\x07" * 20,), tokens=(b"\x09" * 20,),
                   outflow_limit_bps=1500, window_blocks=20, balance_drop_bps=1000, invariants=())


class FakeOracle:
    def __init__(self, state: Containment, failed: int = 0) -> None:
        self.state = state
        self.failed = failed
        self.replays = 0

    async def failed_hook_action(self, pid, block="latest"):
        return self.failed

    async def protocol_ids(self):
        return [PID]

    async def registration(self, pid, block="latest"):
        return REG

    async def containment(self, pid, block="latest"):
        return self.state

    async def nonce(self, pid, block="latest"):
        return 1

    async def last_release_block(self, pid, block="latest"):
        return 40

    async def key_epoch(self):
        return 1

    async def hook_failure(self, reg, action):
        self.replays += 1
        return "AccessControlUnauthorizedAccount(account=0x05.., neededRole=0x65d7..)"


async def test_a_failed_hook_leaves_the_protocol_watched_with_the_next_action(caplog):
    caplog.set_level(logging.ERROR, logger="guardian.registry")
    # the oracle's record: no containment in force, PAUSE refused until the hook is proven again
    oracle = FakeOracle(Containment(action=0, engaged_at=0, expires_at=0,
                                    hook_succeeded=False, active=False), failed=1)
    registry = RegistryTracker(oracle)
    await registry.load(50)
    watched = registry.watched()[PID]
    assert not watched.contained and watched.failed_action == 1
    assert (watched.nonce, watched.release_block) == (1, 40)
    assert choose_action(EvidenceKind.INVARIANT, usable_actions(watched)) == 3  # collateral lock
    assert choose_action(EvidenceKind.OUTFLOW, usable_actions(watched)) is None  # volatility
    assert registry.failed_hooks[PID]["reason"].startswith("AccessControlUnauthorizedAccount")
    assert "FAILED" in caplog.text and "AccessControlUnauthorizedAccount" in caplog.text
    await registry.load(51)
    assert oracle.replays == 1  # one failure, explained once


async def test_a_successful_hook_is_a_containment():
    oracle = FakeOracle(Containment(action=1, engaged_at=1000, expires_at=4600,
                                    hook_succeeded=True, active=True))
    registry = RegistryTracker(oracle)
    await registry.load(50)
    watched = registry.watched()[PID]
    assert watched.contained and watched.failed_action == 0 and registry.failed_hooks == {}


class CountingOracle(FakeOracle):
    """No events; counts the reads, so a test sees what each head costs."""

    def __init__(self, state: Containment) -> None:
        super().__init__(state)
        self.reads: list[str] = []

    async def events(self, first, last):
        return []

    async def containment(self, pid, block="latest"):
        self.reads.append("containment")
        return self.state

    async def registration(self, pid, block="latest"):
        self.reads.append("registration")
        return REG


async def test_a_contained_protocol_is_polled_with_one_read_until_its_containment_ends():
    """It can end without an event (it expires): each head asks whether it is still active, and
    reads the protocol in full only once it is not."""
    oracle = CountingOracle(Containment(action=1, engaged_at=1000, expires_at=4600,
                                        hook_succeeded=True, active=True))
    registry = RegistryTracker(oracle)
    await registry.load(50)
    assert registry.watched()[PID].contained
    oracle.reads.clear()
    for head in (51, 52, 53):
        await registry.on_head(head)
    assert oracle.reads == ["containment"] * 3 and registry.watched()[PID].contained
    oracle.state = Containment(action=1, engaged_at=1000, expires_at=4600, hook_succeeded=True,
                               active=False)  # expired
    oracle.reads.clear()
    await registry.on_head(54)
    assert oracle.reads[0] == "containment" and "registration" in oracle.reads
    assert not registry.watched()[PID].contained
    oracle.reads.clear()
    await registry.on_head(55)
    assert oracle.reads == []  # no longer contained, no event: nothing to read
