"""Noticing that the oracle's group key moved on while this node runs.

A node signs for the key epoch of its guardian-set file (checked against the oracle at start,
node/startup.py). Once governance executes a key rotation (`guardian key-rotation execute`), the
oracle verifies every authorization under the new epoch's digest and key: this node's shares and
proofs can no longer contain anything, and its peers on the new set refuse its reports. The node
is not stopped (it still detects, and its operator may be mid-restart), but it says so loudly:
one error log line, `key_epoch` and `oracle_key_epoch` in /status, and `rotation_needed: true`.
The operator restarts it with the new share keystore and guardian-set file (docs/operate.md)."""

from __future__ import annotations

import logging

import trio

from node.chain.decode import ChainError

log = logging.getLogger("guardian.epoch")

EPOCH_CHECK_SECONDS = 60.0


class EpochWatch:
    def __init__(self, *, oracle, key_epoch: int, period: float = EPOCH_CHECK_SECONDS) -> None:
        self.oracle = oracle
        self.key_epoch = key_epoch
        self.period = period
        self.oracle_epoch: int | None = None
        self._warned_for: int | None = None

    @property
    def rotation_needed(self) -> bool:
        return self.oracle_epoch is not None and self.oracle_epoch != self.key_epoch

    def status(self) -> dict:
        return {"key_epoch": self.key_epoch, "oracle_key_epoch": self.oracle_epoch,
                "rotation_needed": self.rotation_needed}

    async def check(self) -> None:
        """Read the oracle's epoch once; an RPC failure is logged and retried next period."""
        try:
            self.oracle_epoch = await self.oracle.key_epoch()
        except ChainError as exc:
            log.warning("could not read the oracle's key epoch: %s", exc)
            return
        if self.rotation_needed and self._warned_for != self.oracle_epoch:
            self._warned_for = self.oracle_epoch
            log.error("the oracle's group key is now epoch %d but this node signs for epoch %d: "
                      "its signatures cannot contain anything; restart it with the epoch-%d "
                      "share keystore and guardian-set file", self.oracle_epoch, self.key_epoch,
                      self.oracle_epoch)

    async def run(self) -> None:
        while True:
            await self.check()
            await trio.sleep(self.period)
