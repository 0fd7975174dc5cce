"""The pending queue and the per-head budget, without a chain: under a flood the oldest entries
are dropped and counted, the most valuable transaction is judged first, and past the budget of a
head only a transaction that outbids every one judged on it goes ahead."""

from __future__ import annotations

import pytest
import trio

from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import RawTx
from node.metrics import Metrics
from node.pending_loop import PendingLoop
from node.records import BlockHeader

pytestmark = pytest.mark.timeout(30)


def _tx(i: int, tip: int) -> PendingTx:
    tx = RawTx(raw=b"\x02" + bytes([i]), hash=i.to_bytes(32, "big"), sender=b"\x01" * 20, nonce=0,
               to=b"\x02" * 20, value=0, data=b"", gas=21_000, max_fee=tip * 2,
               max_priority_fee=tip)
    return PendingTx(tx, float(i))


def test_a_full_queue_drops_the_oldest_and_counts_it():
    metrics = Metrics()
    queue = PendingQueue(capacity=3, metrics=metrics)
    for i in range(5):
        queue.push(_tx(i, 1))
    queue.push(_tx(4, 1))  # a duplicate is not queued twice
    assert len(queue) == 3 and queue.dropped == 2
    assert metrics.pending_dropped.labels(reason="queue_full")._value.get() == 2
    assert [queue.pop_best().tx.hash[-1] for _ in range(3)] == [2, 3, 4]  # same tip: oldest first
    assert queue.pop_best() is None


def test_the_highest_priority_fee_comes_first():
    queue = PendingQueue()
    for i, tip in enumerate((1, 5, 3)):
        queue.push(_tx(i, tip))
    assert [queue.pop_best().tx.max_priority_fee for _ in range(3)] == [5, 3, 1]


class _Judge(PendingLoop):
    """A PendingLoop whose `examine` only records what it was given."""

    def __init__(self, queue, header):
        super().__init__(queue=queue, simulator=None, view=None, detectors=[],
                         header=header, watched=dict, on_detection=None,
                         max_per_block=2)
        self.judged: list[tuple[int, int]] = []

    async def examine(self, item, header):
        self.judged.append((header.number, item.tx.max_priority_fee))
        return []


async def test_past_the_budget_only_an_outbidding_transaction_goes_ahead():
    queue = PendingQueue()
    head = [BlockHeader(10, b"\x00" * 32, 100)]
    loop = _Judge(queue, lambda: head[0])
    for i in range(5):
        queue.push(_tx(i, 1))  # a flood at 1 gwei
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run)
        with trio.fail_after(5):
            while len(loop.judged) < 2:
                await trio.sleep(0.01)
        await trio.sleep(0.1)
        assert loop.judged == [(10, 1), (10, 1)]  # the budget of head 10 is spent
        queue.push(_tx(9, 7))  # the exploit outbids the flood: judged on this head anyway
        with trio.fail_after(5):
            while len(loop.judged) < 3:
                await trio.sleep(0.01)
        assert loop.judged[2] == (10, 7)
        head[0] = BlockHeader(11, b"\x01" * 32, 101)  # a new head: a new budget
        with trio.fail_after(5):
            while len(loop.judged) < 5:
                await trio.sleep(0.01)
        assert loop.judged[3:] == [(11, 1), (11, 1)]
        nursery.cancel_scope.cancel()


def _call(i: int, to: int, selector: bytes, tip: int = 1) -> PendingTx:
    tx = RawTx(raw=b"\x02" + bytes([i]), hash=i.to_bytes(32, "big"), sender=b"\x01" * 20,
               nonce=0, to=None if to < 0 else bytes([to]) * 20, value=0,
               data=selector + b"\x00" * 32, gas=21_000, max_fee=tip * 2, max_priority_fee=tip)
    return PendingTx(tx, float(i))


def test_a_new_kind_of_call_goes_before_a_burst_of_familiar_ones_of_the_same_fee():
    """A bank run's withdrawals arrive first; the attack contract's call and a creation (always
    new), arriving last, are judged before the burst once one withdrawal made its kind familiar;
    a higher fee still comes first whatever its kind."""
    queue = PendingQueue()
    withdraw = bytes.fromhex("2e1a7d4d")
    for i in range(5):
        queue.push(_call(i, 7, withdraw))
    queue.push(_call(5, 9, bytes.fromhex("deadbeef")))  # attack() on a contract never called
    queue.push(_call(6, -1, b""))  # a creation
    queue.push(_call(7, 7, withdraw, tip=2))
    order = [queue.pop_best().tx.hash[-1] for _ in range(8)]
    assert order[0] == 7  # the highest fee: a withdrawal, which makes the kind familiar
    assert order[1:3] == [5, 6]  # the new kinds next, in arrival order
    assert order[3:] == [0, 1, 2, 3, 4]  # the rest of the burst, oldest first
    assert queue.pop_best() is None


def test_familiar_kinds_are_forgotten_oldest_first(monkeypatch):
    import node.chain.pending_queue as pq

    monkeypatch.setattr(pq, "FAMILIAR_KINDS", 2)
    queue = PendingQueue()
    for i, to in enumerate((1, 2, 3)):
        queue.push(_call(i, to, b"\x01\x02\x03\x04"))
        queue.pop_best()
    assert queue.novel(_call(9, 1, b"\x01\x02\x03\x04").tx)  # forgotten: two kinds remembered
    assert not queue.novel(_call(9, 3, b"\x01\x02\x03\x04").tx)
    assert not queue.novel(_call(9, 2, b"\x01\x02\x03\x04").tx)
    assert queue.novel(_call(9, 2, b"\x05\x06\x07\x08").tx)  # same address, another function
