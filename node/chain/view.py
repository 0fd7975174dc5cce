"""`ChainView` over RPC: the block-pinned reads the detectors and re-verification use."""

from __future__ import annotations

from collections import OrderedDict

from node.chain.decode import decode_bytes
from node.chain.rpc import ChainRpc, checksum, log_record
from node.chain.trace import TxFlows, mined_flows
from node.records import LogRecord


class RpcChainView:
    """Reads pinned to a block number never change (short of a reorg), so they are cached: the
    window detectors re-read the same (token, holder, block) on consecutive heads."""

    def __init__(self, rpc: ChainRpc, cache_size: int = 4096) -> None:
        self.rpc = rpc
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_size = cache_size

    async def _cached(self, key: tuple, read):
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = await read()
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value

    async def balance(self, token: bytes, holder: bytes, block: int) -> int:
        return await self._cached(("balance", token, holder, block),
                                  lambda: self.rpc.balance(token, holder, block))

    async def call(self, target: bytes, data: bytes, block: int) -> bytes | None:
        return await self._cached(("call", target, data, block),
                                  lambda: self.rpc.call(target, data, block))

    async def logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                   block: int) -> list[LogRecord]:
        """Logs of `addresses` with topic0 in `topics` at `block`, each with its tx sender."""
        found = await self.rpc.logs(addresses, topics, block, block)
        out: list[LogRecord] = []
        for entry in found:
            with_sender = await self.log_at(entry.tx_hash, entry.log_index)
            if with_sender is not None:
                out.append(with_sender)
        return out

    async def log_at(self, tx_hash: bytes, log_index: int) -> LogRecord | None:
        receipt = await self.rpc.receipt(tx_hash)
        if receipt is None:
            return None
        for entry in receipt.logs:
            if entry.log_index == log_index:
                return entry
        return None

    # what the extraction detector reads (node.chain.trace) -------------------------------------
    async def block_logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                         block: int, topic1: tuple[bytes, ...] = ()) -> list[LogRecord]:
        """Logs of `addresses` (topic0 in `topics`, any if empty; topic1 one of the addresses
        `topic1`, if given: a Transfer's sender) at `block`, without senders."""
        if not addresses:
            return []
        if not topic1:
            return await self.rpc.logs(addresses, topics, block, block)
        params = {"fromBlock": block, "toBlock": block,
                  "address": [checksum(a) for a in addresses],
                  "topics": [["0x" + t.hex() for t in topics] or None,
                             ["0x" + bytes(12).hex() + a.hex() for a in topic1]]}
        raw = await self.rpc._run("eth_getLogs", lambda: self.rpc.w3.eth.get_logs(params))
        return [log_record(entry) for entry in raw]

    async def tx_flows(self, tx_hash: bytes) -> TxFlows | None:
        return await self._cached(("flows", tx_hash), lambda: mined_flows(self.rpc, tx_hash))

    async def code_size(self, address: bytes, block: int) -> int:
        async def read() -> int:
            code = await self.rpc._run("eth_getCode", lambda: self.rpc.w3.eth.get_code(
                checksum(address), block))
            return len(decode_bytes(code, None, "code"))
        return await self._cached(("code", address, block), read)
