"""`ChainView` over RPC: the block-pinned reads the detectors and re-verification use."""

from __future__ import annotations

from collections import OrderedDict

from node.chain.decode import decode_bytes
from node.chain.rpc import ChainRpc, checksum, log_record
from node.chain.trace import TxFlows, mined_flows, token_flows
from node.records import LogRecord

LOG_BLOCKS = 64  # blocks whose logs `store_block_logs` keeps (a balance window reads 20)


def log_matches(entry: LogRecord, topics: tuple[bytes, ...], topic1: tuple[bytes, ...]) -> bool:
    """What `eth_getLogs` answers for topic0 in `topics` (any if empty) and topic1 one of the
    addresses `topic1` (any if empty)."""
    if topics and (not entry.topics or entry.topics[0] not in topics):
        return False
    return not topic1 or (len(entry.topics) >= 2 and entry.topics[1][:12] == bytes(12)
                          and entry.topics[1][12:] in topic1)


class RpcChainView:
    """Reads pinned to a block number never change (short of a reorg), so they are cached: the
    window detectors re-read the same (token, holder, block) on consecutive heads. The watch loop
    warms the cache for every protocol of a head at once (`node.detectors.prefetch`: batched
    reads, one `eth_getLogs` of every watched address, kept by `store_block_logs`)."""

    def __init__(self, rpc: ChainRpc, cache_size: int = 65536) -> None:
        self.rpc = rpc
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_size = cache_size
        self._block_logs: OrderedDict[int, tuple[frozenset[bytes], list[LogRecord]]] = \
            OrderedDict()
        self.prefetch_paused_until = 0  # node.detectors.prefetch: a failed batch pauses it

    def known(self, key: tuple) -> bool:
        return key in self._cache

    def peek(self, key: tuple):
        """A cached value (None if not cached), without counting as a use."""
        return self._cache.get(key)

    def remember(self, key: tuple, value: object) -> None:
        """Store what a batched read answered under the key its one-by-one read uses."""
        self._cache[key] = value
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def store_block_logs(self, block: int, addresses: frozenset[bytes],
                         logs: list[LogRecord]) -> None:
        """Every log of `addresses` in `block` (one `eth_getLogs`): `block_logs` and `logs` of a
        subset of them are then answered from it."""
        self._block_logs[block] = (addresses, logs)
        self._block_logs.move_to_end(block)
        while len(self._block_logs) > LOG_BLOCKS:
            self._block_logs.popitem(last=False)

    def stored_logs(self, block: int, addresses: tuple[bytes, ...]) -> list[LogRecord] | None:
        """The stored logs of `addresses` in `block`, in block order; None unless stored."""
        stored = self._block_logs.get(block)
        if stored is None or not stored[0].issuperset(addresses):
            return None
        wanted = set(addresses)
        return [e for e in stored[1] if e.address in wanted]

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
        stored = self.stored_logs(block, addresses) if addresses else None
        found = ([e for e in stored if log_matches(e, topics, ())] if stored is not None
                 else await self.rpc.logs(addresses, topics, block, block))
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
        stored = self.stored_logs(block, addresses)
        if stored is not None:
            return [e for e in stored if log_matches(e, topics, topic1)]
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

    async def tx_token_flows(self, tx_hash: bytes) -> TxFlows | None:
        """The receipt's ERC-20 transfers only (`node.chain.trace.token_flows`), or the full
        flows when they are cached already: DILUTION counts one ERC-20 token, the same either way."""
        traced = self._cache.get(("flows", tx_hash))
        if traced is not None:
            return traced
        return await self._cached(("token flows", tx_hash), lambda: token_flows(self.rpc, tx_hash))

    async def code_size(self, address: bytes, block: int) -> int:
        async def read() -> int:
            code = await self.rpc._run("eth_getCode", lambda: self.rpc.w3.eth.get_code(
                checksum(address), block))
            return len(decode_bytes(code, None, "code"))
        return await self._cached(("code", address, block), read)
