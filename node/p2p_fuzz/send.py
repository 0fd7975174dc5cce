"""One frame on one fresh stream: open it, write, half-close, drain, and tell what the target did
(reset, dropped the connection, took too long); and the ping barrier after each frame."""

from __future__ import annotations

import contextlib
import logging
import time

import trio

from node.p2p_fuzz.probes import ping_once

log = logging.getLogger("guardian.p2p_fuzz")


async def barrier(link) -> bool:
    return await link.ensure() and await ping_once(link.host, link.peer_id)


async def drain(stream) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


async def send_frame(link, target, proto, data, handle_timeout) -> tuple[str, float]:
    """-> (outcome, seconds the target took): sent | reset | slow | lost | not_supported."""
    from libp2p.protocol_muxer.exceptions import MultiselectClientError

    started = time.perf_counter()
    try:
        with trio.fail_after(10):
            stream = await link.host.new_stream(link.peer_id, [proto])
    except MultiselectClientError:
        return "not_supported", 0.0
    except Exception as exc:  # noqa: BLE001
        cause, depth = exc, 0
        while cause is not None and depth < 10:  # StreamFailure from the target's `na`
            if isinstance(cause, MultiselectClientError) or "not supported" in str(cause):
                return "not_supported", 0.0
            cause, depth = cause.__cause__ or cause.__context__, depth + 1
        return "lost", 0.0
    muxed = getattr(stream, "muxed_stream", stream)
    outcome = "sent"
    try:
        with trio.fail_after(handle_timeout):
            async with trio.open_nursery() as nursery:
                # read (and drop) whatever the target answers, so that an echoing protocol
                # (ping) is never blocked on our receive window while we write
                nursery.start_soon(drain, stream)
                await stream.write(data)
                await stream.close()
                nursery.cancel_scope.cancel()
    except trio.TooSlowError:
        outcome = "slow"
    except Exception:  # noqa: BLE001 - a reset while writing is a reset
        outcome = "reset" if getattr(muxed, "reset_received", False) else "lost"
    if target is not None and outcome != "lost":
        handled = await target.wait_handled(str(link.host.get_id()), muxed.stream_id,
                                            handle_timeout)
        if not handled and not target.crashed.is_set():
            outcome = "slow"
    seconds = time.perf_counter() - started
    if getattr(muxed, "reset_received", False):
        outcome = "reset"
    with contextlib.suppress(Exception):
        await stream.reset()
    return outcome, seconds
