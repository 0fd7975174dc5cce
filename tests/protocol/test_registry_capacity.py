"""The registry's capacity is derived from the measured per-head watch cost, not picked."""

import pytest

from protocol.oracle_limits import MAX_PROTOCOLS
from protocol.registry_capacity import (
    CAPACITY_BLOCK_SECONDS,
    MS_PER_PROTOCOL_PER_HEAD,
    protocols_per_head,
    registry_capacity,
)


def test_the_contract_cap_is_the_derived_capacity():
    assert MAX_PROTOCOLS == registry_capacity(CAPACITY_BLOCK_SECONDS)
    assert protocols_per_head(CAPACITY_BLOCK_SECONDS) >= MAX_PROTOCOLS


def test_capacity_follows_the_block_time_and_the_cost():
    assert protocols_per_head(2) == int(2000 * 0.5 / MS_PER_PROTOCOL_PER_HEAD)
    assert registry_capacity(2) < registry_capacity(12)
    assert registry_capacity(12, ms_per_protocol=1.0) == 4096
    assert registry_capacity(0.001, ms_per_protocol=1000.0) == 1  # never zero


@pytest.mark.parametrize("args", [(0,), (-1,), (12, 0.0), (12, -3.0)])
def test_nonsense_is_refused(args):
    with pytest.raises(ValueError):
        protocols_per_head(*args)
