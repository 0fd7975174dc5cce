"""A scenario: a name, what must happen, and the function that makes it happen and measures it.
Also the steps most scenarios share (wait for containment, settle, judge)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from node.chaos.outcome import Outcome


@dataclass(frozen=True)
class Context:
    guardians: int
    threshold: int
    run_dir: Path
    say: Callable[[str], None] = lambda _: None
    quick: bool = False  # shorter outages and waits (the default test run)

    @property
    def tolerated(self) -> int:
        """How many guardians may misbehave or fail with the network still containing."""
        return self.guardians - self.threshold

    def last(self, count: int) -> list[int]:
        return list(range(self.guardians - count + 1, self.guardians + 1))


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    expected: str
    run: Callable[[Context, Outcome], Outcome]
    default_test: bool = False  # part of the default (small) pytest run


def containment(net) -> dict | None:
    """The first ContainmentEngaged of the demo protocol, if any: block and tx."""
    dep = net.doc["deployment"]
    oracle = net.w3().eth.contract(address=dep["oracle"], abi=_oracle_abi())
    pid = bytes.fromhex(dep["protocol_id"][2:])
    logs = oracle.events.ContainmentEngaged().get_logs(from_block=dep["deploy_block"],
                                                       argument_filters={"protocolId": pid})
    return {"block": logs[0]["blockNumber"]} if logs else None


def _oracle_abi() -> list:
    from node.artifacts import load_artifact

    return load_artifact("GuardianOracle")["abi"]


def wait_for_containment(net, timeout: float) -> dict | None:
    found: dict = {}

    def check() -> bool:
        c = containment(net)
        if c:
            found.update(c)
        return bool(c)

    net.wait_until(check, timeout)
    return found or None


def settle_blame(net, honest: list[int], offenders: list[int], timeout: float) -> None:
    """Until every offender is named by some honest guardian (or `timeout`)."""
    from node.chaos.outcome import blamed_by

    net.wait_until(lambda: {str(o) for o in offenders} <= set(blamed_by(net, honest)), timeout,
                   poll=1.0)


def late_containment(net, _out: Outcome, result) -> None:
    """The attack ended before containment (it ran out of steps, or the pool was drained):
    fill containment from the chain, counted from the first attack block."""
    c = containment(net)
    if not c or result.first_attack_block is None:
        return
    result.contained = True
    result.containment_block = c["block"]


def timed(fn: Callable[[], Outcome], out: Outcome) -> Outcome:
    start = time.monotonic()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - a scenario that fails is a row, not a crash
        out.error = f"{type(exc).__name__}: {exc}"[:300]
        out.ok = False
    out.wall_seconds = round(time.monotonic() - start, 1)
    return out
