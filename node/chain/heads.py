"""New chain heads over a WebSocket `newHeads` subscription, with reconnect and backoff.

The subscription runs in web3's asyncio world (`AsyncioThread`); each head crosses into trio as a
`BlockHeader`. When the socket drops, the watcher reconnects with exponential backoff and, once
back, re-reads the current head over HTTP, so consumers see the chain move on without waiting for
the next block. Heads are delivered in order and never repeated; if the consumer is slow, older
heads are skipped (detectors compare windows ending at the newest head, so nothing is lost).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import trio
from web3 import AsyncWeb3
from web3.providers.persistent import WebSocketProvider

from node.chain.bridge import AsyncioThread
from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.rpc import ChainRpc
from node.records import BlockHeader

log = logging.getLogger("guardian.chain")


def header_from_subscription(result: Any) -> BlockHeader:
    if not isinstance(result, Mapping):  # web3's AttributeDict is no dict
        raise ChainError(f"newHeads: malformed head: a {type(result).__name__}")
    try:
        return BlockHeader(decode_uint(result["number"], "head number"),
                           decode_bytes(result["hash"], 32, "head hash"),
                           decode_uint(result["timestamp"], "head timestamp"))
    except (KeyError, TypeError) as exc:
        raise ChainError(f"newHeads: malformed head: {exc}") from exc


class HeadWatcher:
    def __init__(self, ws_url: str, rpc: ChainRpc, bridge: AsyncioThread, *,
                 min_backoff: float = 0.5, max_backoff: float = 10.0) -> None:
        self.ws_url = ws_url
        self.rpc = rpc
        self.bridge = bridge
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.connected = False
        self.reconnects = 0
        self.last: BlockHeader | None = None

    async def run(self, out: trio.MemorySendChannel[BlockHeader],
                  task_status=trio.TASK_STATUS_IGNORED) -> None:
        token = trio.lowlevel.current_trio_token()
        started = False
        backoff = self.min_backoff

        def push(header: BlockHeader) -> None:  # called in the asyncio thread
            token.run_sync_soon(self._deliver, out, header)

        while True:
            connected = trio.Event()

            def on_connected(connected: trio.Event = connected) -> None:
                token.run_sync_soon(connected.set)

            try:
                async with trio.open_nursery() as nursery:
                    async def announce(connected: trio.Event = connected) -> None:
                        nonlocal started, backoff
                        await connected.wait()
                        self.connected = True
                        backoff = self.min_backoff
                        # A head right away: do not wait a block time after (re)connecting.
                        # If the node went away again, its subscription says so (and the heads
                        # it pushes replace this one); raising here instead would, together with
                        # a cancellation (shutdown), escape as a group `except Exception` misses.
                        try:
                            self._deliver(out, await self.rpc.header("latest"))
                        except ChainError as exc:
                            log.warning("no head right after connecting to %s: %s", self.ws_url,
                                        exc)
                        if not started:
                            started = True
                            task_status.started()

                    nursery.start_soon(announce)
                    await self.bridge.run(lambda: self._subscribe(push, on_connected))
                    nursery.cancel_scope.cancel()
            except Exception as exc:  # noqa: BLE001 - socket failures come in many types
                self.connected = False
                self.reconnects += 1
                log.warning("head subscription at %s lost (%s); reconnecting in %.1fs",
                            self.ws_url, str(exc) or type(exc).__name__, backoff)
            await trio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _deliver(self, out: trio.MemorySendChannel[BlockHeader], header: BlockHeader) -> None:
        if self.last is not None and header.number <= self.last.number:
            return
        self.last = header
        try:
            out.send_nowait(header)
        except trio.WouldBlock:
            log.debug("consumer busy; head %d will be covered by the next one", header.number)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    async def _subscribe(self, push, on_connected) -> None:
        """asyncio side: connect, subscribe to newHeads, forward until the socket fails."""
        async with AsyncWeb3(WebSocketProvider(self.ws_url, max_connection_retries=1)) as w3:
            await w3.eth.subscribe("newHeads")
            on_connected()
            async for message in w3.socket.process_subscriptions():
                result = message.get("result") if isinstance(message, dict) else None
                if result is None:
                    continue
                try:
                    push(header_from_subscription(result))
                except ChainError as exc:
                    log.warning("ignoring malformed head from %s: %s", self.ws_url, exc)
        raise ChainError("newHeads subscription ended")
