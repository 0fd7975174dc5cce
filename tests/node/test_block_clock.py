"""Issue 21 item 14: the pending simulation's next-block timestamp follows the chain's own block
time, not a `[pending] block_seconds` of 12 left at its default on a 2 s chain."""

import logging

from node.block_clock import AGREEING_INTERVALS, BlockClock


def _heads(clock: BlockClock, start: int, count: int, interval: int, t0: int = 1_000) -> None:
    for k in range(count):
        clock.observe(start + k, t0 + k * interval)


def test_a_2s_chain_is_simulated_2s_ahead_despite_the_default(caplog):
    clock = BlockClock(12.0)
    assert clock.seconds() == 12  # nothing seen yet: the configured value
    caplog.set_level(logging.WARNING, logger="guardian.pending")
    _heads(clock, 100, AGREEING_INTERVALS + 1, 2)
    assert clock.observed() == 2
    assert clock.seconds() == 2  # f797509 simulated 12 s ahead here
    assert "block_seconds is 12.0 but the chain makes a block every 2.0 s" in caplog.text
    clock.seconds()
    assert caplog.text.count("block_seconds is") == 1  # said once


def test_irregular_or_odd_heads_keep_the_configured_value():
    clock = BlockClock(12.0)
    for number, ts in ((1, 100), (2, 101), (3, 105), (4, 106), (5, 115)):  # automine-like
        clock.observe(number, ts)
    assert clock.observed() is None and clock.seconds() == 12
    clock = BlockClock(2.0)
    for number, ts in ((10, 100), (10, 100), (9, 90), (11, 99), (12, 102)):  # repeats, going back
        clock.observe(number, ts)
    assert clock.observed() is None and clock.seconds() == 2
    clock = BlockClock(12.0)
    _heads(clock, 1, AGREEING_INTERVALS + 1, 0)  # same timestamp every block
    assert clock.observed() is None and clock.seconds() == 12


def test_skipped_heads_count_per_block():
    clock = BlockClock(12.0)
    for k in range(AGREEING_INTERVALS + 1):
        clock.observe(10 + 3 * k, 500 + 36 * k)  # every third head seen, 12 s blocks
    assert clock.observed() == 12 and clock.seconds() == 12
