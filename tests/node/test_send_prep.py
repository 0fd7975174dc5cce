"""node/chain/send_prep: the authorize calldata is byte for byte web3's; a nonce and fees read
ahead are used by the next send only, fresh, once, and never after another send."""

from __future__ import annotations

import random

import pytest
import trio
import trio.testing
from web3 import Web3

from node.artifacts import load_artifact
from node.chain.send_prep import FRESH_SECONDS, SendPrep, authorize_calldata

pytestmark = pytest.mark.timeout(30)


def test_the_calldata_is_what_web3_encodes():
    contract = Web3().eth.contract(abi=load_artifact("GuardianOracle")["abi"])
    rng = random.Random(7)
    for _ in range(50):
        target = rng.randbytes(20)
        args = (rng.randrange(1, 4), rng.randrange(2**64), rng.randrange(2**64),
                rng.randrange(2**64), rng.randbytes(32), rng.randbytes(rng.choice((0, 1, 256))))
        expected = contract.encode_abi("authorize",
                                       args=[Web3.to_checksum_address(target), *args])
        assert authorize_calldata(target, *args) == expected


class Reads:
    def __init__(self) -> None:
        self.count = 0
        self.gate: trio.Event | None = None

    async def __call__(self):
        self.count += 1
        value = self.count
        if self.gate is not None:
            await self.gate.wait()
        return value, (100 + value, 1)


async def test_prepared_values_are_taken_once_while_fresh():
    now = [0.0]
    reads = Reads()
    prep = SendPrep(reads, clock=lambda: now[0])
    await prep.prepare()
    assert await prep.take() == (1, (101, 1)) and reads.count == 1 and prep.used == 1
    assert await prep.take() == (2, (102, 1))  # not twice: read again
    await prep.prepare()
    now[0] += FRESH_SECONDS + 0.1
    assert await prep.take() == (4, (104, 1)) and prep.used == 1  # stale: read again


async def test_a_preparation_that_ends_after_a_send_is_discarded():
    reads = Reads()
    prep = SendPrep(reads)
    reads.gate = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(prep.prepare)
        await trio.testing.wait_all_tasks_blocked()
        reads.gate.set()
        reads.gate = None
        sent = await prep.take()  # a send starts while the read ahead is still out
    assert sent == (2, (102, 1))
    assert await prep.take() == (3, (103, 1)) and prep.used == 0


async def test_a_failed_read_ahead_leaves_the_send_to_read():
    calls = []

    async def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("node unreachable")
        return 5, (10, 1)

    prep = SendPrep(flaky)
    await prep.prepare()
    assert await prep.take() == (5, (10, 1)) and prep.used == 0
