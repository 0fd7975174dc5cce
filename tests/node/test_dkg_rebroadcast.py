"""A ceremony participant's own rebroadcasts are honest behaviour and are never charged as a
flood of duplicates; a member that re-sends faster than the schedule still is."""

from __future__ import annotations

import logging

import pytest
import trio

from node.dkg.local import prepare_local
from node.dkg.phases import Timeouts
from node.dkg.rebroadcast import Schedule, copies_within
from node.dkg.runner import RunOptions, honest_copies, run_ceremony
from node.p2p.copies import CopyCounter

pytestmark = pytest.mark.timeout(120)
PASS = "correct horse battery"


def test_the_schedule_backs_off_and_bounds_the_copies_per_window():
    schedule = Schedule(2.0, 32.0)
    assert schedule.add(b"m", 0.0) and not schedule.add(b"m", 1.0)
    sent = [t for t in range(0, 200) if schedule.due(float(t))]
    assert sent[:6] == [0, 2, 6, 14, 30, 62] and sent[6] - sent[5] == 32
    assert copies_within(60.0, 2.0, 32.0) == 5
    for start in range(0, 150):   # no 60 s stretch of the actual schedule holds more
        assert sum(start <= t <= start + 60 for t in sent) <= copies_within(60.0, 2.0, 32.0)
    schedule.add(b"n", 200.0)
    assert schedule.due(200.0) == [b"n"] and schedule.due(201.0) == []
    schedule.restart(201.0)          # a peer connected: everything at once, backoff anew
    assert schedule.due(201.0) == [b"m", b"n"] and schedule.due(203.0) == [b"m", b"n"]


def test_the_duplicate_limit_covers_the_honest_schedule_and_charges_more(tmp_path):
    ceremony = prepare_local(tmp_path, 4, 3).ceremony
    opts = RunOptions(ceremony=ceremony, directory=None, passphrase=None,
                      rebroadcast_seconds=2.0)
    limit = honest_copies(opts, 60.0)
    assert limit == 3 * 5 + 4
    now = [0.0]
    counter = CopyCounter(limit=limit, window=60.0, clock=lambda: now[0])
    # an honest peer: its own schedule twice (a restart), a relay schedule, one forward, and a
    # restart of the schedule for each of the 3 other members connecting
    times = sorted([0, 2, 6, 14, 30] + [20, 22, 26, 34, 50] + [40, 42, 46, 54] + [1]
                   + [3, 4, 5])
    for t in times:
        now[0] = float(t)
        assert counter.offence("honest", b"m") == ""
    charged = []
    for k in range(limit + 1):   # a flooder: the same message every 0.1 s
        now[0] = k * 0.1
        charged.append(counter.offence("flooder", b"m"))
    assert charged[-1].endswith("(a flood of duplicates)")


async def test_a_ceremony_with_an_absent_participant_charges_nobody_with_a_flood(tmp_path, caplog):
    """4 participants (t = 3), participant 4 never shows up, so every phase runs to its timeout
    and everybody re-sends its messages meanwhile (every 0.5 s on the old runner: a flood of
    duplicates charged to honest peers within seconds)."""
    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    outcomes = {}
    caplog.set_level(logging.WARNING, logger="guardian")
    with trio.fail_after(90):
        async with trio.open_nursery() as nursery:
            for i in (1, 2, 3):
                async def one(i=i):
                    outcomes[i] = await run_ceremony(RunOptions(
                        ceremony=local.ceremony, directory=local.directories[i],
                        passphrase=PASS, listen=local.listens[i],
                        bootstrap=local.bootstrap(i), timeouts=Timeouts(6, 4, 3, 10),
                        rebroadcast_seconds=0.5, linger_seconds=2.0, progress_seconds=60,
                        kdf_n=2**10, say=lambda _: None))
                nursery.start_soon(one)
    assert {o.result.qualified for o in outcomes.values()} == {(1, 2, 3)}
    floods = [r.getMessage() for r in caplog.records if "flood of duplicates" in r.getMessage()]
    assert floods == []
    assert [o.p2p["rejects"] for o in outcomes.values()] == [0, 0, 0]
    assert all(o.p2p["validated"] > 0 for o in outcomes.values())
