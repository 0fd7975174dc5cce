"""A running node notices the oracle's key epoch moving past its own (a rotation was executed):
it reports it in /status and logs one error per new epoch, and survives RPC failures."""

from __future__ import annotations

import logging

import pytest

from node.chain.decode import ChainError
from node.epoch_watch import EpochWatch

pytestmark = pytest.mark.timeout(30)


class FakeOracle:
    def __init__(self, epoch: int):
        self.epoch = epoch
        self.fail = False

    async def key_epoch(self) -> int:
        if self.fail:
            raise ChainError("oracle.keyEpoch: connection refused")
        return self.epoch


async def test_epoch_change_is_reported_once(caplog):
    oracle = FakeOracle(1)
    watch = EpochWatch(oracle=oracle, key_epoch=1)
    assert watch.status() == {"key_epoch": 1, "oracle_key_epoch": None, "rotation_needed": False}
    caplog.set_level(logging.WARNING, logger="guardian.epoch")
    await watch.check()
    assert watch.status()["oracle_key_epoch"] == 1 and not watch.rotation_needed
    assert not caplog.records
    oracle.epoch = 2
    await watch.check()
    await watch.check()
    assert watch.status() == {"key_epoch": 1, "oracle_key_epoch": 2, "rotation_needed": True}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "now epoch 2 but this node signs for epoch 1" in errors[0].getMessage()
    oracle.fail = True
    await watch.check()  # a failing RPC keeps the last answer and only warns
    assert watch.rotation_needed
    assert "could not read the oracle's key epoch" in caplog.records[-1].getMessage()
    oracle.fail, oracle.epoch = False, 3
    await watch.check()
    assert sum(r.levelno == logging.ERROR for r in caplog.records) == 2
