"""A bounded `/ipfs/ping/1.0.0` handler.

The library's handler echoes every 32 bytes it reads for as long as the stream stays open, so one
1 MiB write kept a guardian echoing 32,768 pings, about 10 s of CPU, for the price of one frame.
An honest peer pings once every few seconds. Here each stream may send a burst of `burst` pings,
then one per `refill_seconds`; a stream that asks for more is reset and the peer charged.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import trio
from libp2p.host.ping import ID as PING_PROTOCOL_ID
from libp2p.io.exceptions import IncompleteReadError
from libp2p.io.utils import read_exactly
from libp2p.network.stream.exceptions import StreamEOF

PING_LENGTH = 32
READ_TIMEOUT_SECONDS = 60.0


def bounded_ping_handler(on_fault: Callable[[str, str], None], *, burst: int = 8,
                         refill_seconds: float = 1.0, clock=time.monotonic):
    async def handle(stream) -> None:
        peer = str(stream.muxed_conn.peer_id)
        tokens, last = float(burst), clock()
        try:
            while True:
                with trio.fail_after(READ_TIMEOUT_SECONDS):
                    payload = await read_exactly(stream, PING_LENGTH)
                now = clock()
                tokens = min(float(burst), tokens + (now - last) / refill_seconds)
                last = now
                if tokens < 1.0:
                    on_fault(peer, "ping flood (more pings than the per-stream budget)")
                    await stream.reset()
                    return
                tokens -= 1.0
                await stream.write(payload)
        except (StreamEOF, IncompleteReadError, trio.TooSlowError):
            # The peer closed (or went quiet, or sent a partial ping): end the stream quietly.
            with trio.move_on_after(2):
                try:
                    await stream.reset()
                except Exception:  # noqa: BLE001 - the stream may be gone already
                    pass

    return handle


def install_bounded_ping(host, on_fault: Callable[[str, str], None]) -> None:
    """Replace the host's ping handler (other errors reach the stream boundary guard)."""
    host.set_stream_handler(PING_PROTOCOL_ID, bounded_ping_handler(on_fault))
