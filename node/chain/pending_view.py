"""`ChainView` "after a pending transaction": reads at the simulated block (base + 1) come from the
simulation (`node.chain.simulate`), every other block from the ordinary view. The detectors run on
it unchanged, with the simulated block as their head: the same rules, one block earlier."""

from __future__ import annotations

from node.chain.simulate import SimOutcome, SimulationError, balance_read
from node.chain.trace import TxFlows, pending_flows
from node.records import ChainView, LogRecord


class PendingView:
    def __init__(self, base: ChainView, outcome: SimOutcome) -> None:
        self.base = base
        self.outcome = outcome

    def _read(self, target: bytes, data: bytes) -> bytes | None:
        try:
            return self.outcome.reads[(target, data)]
        except KeyError:
            raise SimulationError(f"read of 0x{target.hex()} was not simulated") from None

    async def balance(self, token: bytes, holder: bytes, block: int) -> int:
        if block != self.outcome.block:
            return await self.base.balance(token, holder, block)
        out = self._read(*balance_read(token, holder))
        if out is None or len(out) != 32:
            raise SimulationError(f"simulated balance of 0x{holder.hex()} is not a uint256")
        return int.from_bytes(out, "big")

    async def call(self, target: bytes, data: bytes, block: int) -> bytes | None:
        if block != self.outcome.block:
            return await self.base.call(target, data, block)
        return self._read(target, data)

    async def logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                   block: int) -> list[LogRecord]:
        if block != self.outcome.block:
            return await self.base.logs(addresses, topics, block)
        return [entry for entry in self.outcome.logs if entry.address in addresses
                and entry.topics and (not topics or entry.topics[0] in topics)]

    async def log_at(self, tx_hash: bytes, log_index: int) -> LogRecord | None:
        if tx_hash != self.outcome.tx.hash:
            return await self.base.log_at(tx_hash, log_index)
        for entry in self.outcome.logs:
            if entry.log_index == log_index:
                return entry
        return None

    async def block_logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                         block: int, topic1: tuple[bytes, ...] = ()) -> list[LogRecord]:
        if block != self.outcome.block:
            return await self.base.block_logs(addresses, topics, block, topic1)
        return [entry for entry in self.outcome.logs if entry.address in addresses
                and entry.topics and (not topics or entry.topics[0] in topics)
                and (not topic1 or (len(entry.topics) > 1 and entry.topics[1][12:] in topic1))]

    async def tx_flows(self, tx_hash: bytes) -> TxFlows | None:
        if tx_hash == self.outcome.tx.hash:
            return pending_flows(self.outcome)
        return await self.base.tx_flows(tx_hash)

    async def code_size(self, address: bytes, block: int) -> int:
        if block >= self.outcome.block:
            raise SimulationError("code at the simulated block is not read")
        return await self.base.code_size(address, block)
