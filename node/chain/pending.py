"""New pending transactions over a WebSocket `newPendingTransactions` subscription, with reconnect
and backoff (the same shape as `node.chain.heads`).

The subscription delivers transaction hashes; each is fetched as raw signed bytes
(`eth_getRawTransactionByHash`) and decoded (`node.chain.rawtx`). Hashes wait in a bounded channel
(a full channel drops the newest hash and counts it); decoded transactions go to the
`PendingQueue`, which drops its oldest under pressure. A transaction that does not decode, is
too large to gossip as evidence, or is already mined is counted and skipped. One that `divert`
takes (the guardians' own `authorize` calls: node.submitter learns of them) is not judged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio
from web3 import AsyncWeb3
from web3.providers.persistent import WebSocketProvider

from node.chain.bridge import AsyncioThread
from node.chain.decode import ChainError, decode_bytes
from node.chain.pending_queue import PendingQueue, PendingTx
from node.chain.rawtx import RawTx, RawTxError, decode_raw_tx
from node.chain.rpc import ChainRpc
from protocol.pending import MAX_RAW_TX_BYTES

log = logging.getLogger("guardian.chain")
HASH_BACKLOG = 1024


class PendingWatcher:
    def __init__(self, ws_url: str, rpc: ChainRpc, bridge: AsyncioThread, queue: PendingQueue,
                 *, metrics=None, min_backoff: float = 0.5, max_backoff: float = 10.0,
                 divert: Callable[[RawTx], bool] | None = None) -> None:
        self.ws_url = ws_url
        self.divert = divert  # True: the transaction is taken care of, not queued for judging
        self.rpc = rpc
        self.bridge = bridge
        self.queue = queue
        self.metrics = metrics
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.connected = False

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        send, recv = trio.open_memory_channel[tuple[bytes, float]](HASH_BACKLOG)
        token = trio.lowlevel.current_trio_token()

        def push(tx_hash: bytes) -> None:  # asyncio thread
            token.run_sync_soon(self._arrived, send, tx_hash)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._fetch, recv)
            task_status.started()
            backoff = self.min_backoff
            while True:
                try:
                    await self.bridge.run(lambda: self._subscribe(push))
                except Exception as exc:  # noqa: BLE001 - socket failures come in many types
                    log.warning("pending subscription at %s lost (%s); reconnecting in %.1fs",
                                self.ws_url, str(exc) or type(exc).__name__, backoff)
                self.connected = False
                await trio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    def _arrived(self, send: trio.MemorySendChannel, tx_hash: bytes) -> None:
        if self.metrics:
            self.metrics.pending_seen.inc()
        if self.queue.seen(tx_hash):
            return
        try:
            send.send_nowait((tx_hash, trio.current_time()))
        except trio.WouldBlock:
            self.queue.drop("backlog_full")

    async def _fetch(self, recv: trio.MemoryReceiveChannel) -> None:
        async for tx_hash, arrived in recv:
            try:
                answer = await self.rpc._run(
                    "eth_getRawTransactionByHash",
                    lambda h=tx_hash: self.rpc.w3.provider.make_request(
                        "eth_getRawTransactionByHash", ["0x" + h.hex()]))
                result = answer.get("result") if isinstance(answer, dict) else None
                if result is None:
                    self.queue.drop("gone")
                    continue
                raw = decode_bytes(result, None, "raw transaction")
                tx = decode_raw_tx(raw)
                if self.divert is not None and self.divert(tx):
                    self.queue.drop("containment")
                    continue
                # too large to gossip as evidence; a creation is referred to by its hash
                if len(raw) > MAX_RAW_TX_BYTES and tx.to is not None:
                    self.queue.drop("too_large")
                    continue
            except (ChainError, RawTxError) as exc:
                log.debug("pending 0x%s skipped: %s", tx_hash.hex()[:12], exc)
                self.queue.drop("undecodable")
                continue
            self.queue.push(PendingTx(tx, arrived))

    async def _subscribe(self, push) -> None:
        """asyncio side: subscribe to newPendingTransactions, forward hashes."""
        async with AsyncWeb3(WebSocketProvider(self.ws_url, max_connection_retries=1)) as w3:
            await w3.eth.subscribe("newPendingTransactions")
            self.connected = True
            async for message in w3.socket.process_subscriptions():
                result = message.get("result") if isinstance(message, dict) else None
                try:
                    push(decode_bytes(result, 32, "pending transaction hash"))
                except ChainError as exc:
                    log.warning("ignoring malformed pending hash from %s: %s", self.ws_url, exc)
        raise ChainError("newPendingTransactions subscription ended")
