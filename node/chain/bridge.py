"""Run web3's asyncio code from trio.

web3.py's `AsyncWeb3` and its WebSocket provider are asyncio libraries, while the node is a trio
program. Instead of mixing event loops in one thread, the node owns one asyncio loop in a daemon
thread (`AsyncioThread`) and hands coroutines to it; trio awaits their results without blocking
its own loop, and cancelling the trio side cancels the asyncio task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

T = TypeVar("T")


class AsyncioThread:
    """An asyncio event loop running in its own daemon thread."""

    def __init__(self, name: str = "web3-asyncio") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        # Loop stopped: cancel what is left so nothing dangles.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def start(self) -> AsyncioThread:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._started and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._started:
            self._thread.join(timeout)

    def submit(self, factory: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Schedule `factory()` on the asyncio loop; returns a thread-safe future."""
        async def runner() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(runner(), self._loop)

    async def run(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Await `factory()` (an asyncio coroutine) from trio; trio cancellation cancels it."""
        future = self.submit(factory)
        done = trio.Event()
        token = trio.lowlevel.current_trio_token()

        def wake(_: Any) -> None:
            # Thread-safe, and also fine when the future is already done (called in our thread).
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:
                pass

        future.add_done_callback(wake)
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()

    def __enter__(self) -> AsyncioThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
