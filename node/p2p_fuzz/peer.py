"""The fuzzing peer: a stock py-libp2p host (Noise + Yamux, like the node) that dials the target,
opens one stream per frame on each protocol the target speaks, writes the frame, half-closes, and
observes what happened: the target reset the stream, dropped the connection, or crashed.

After every frame a ping round trip on the same connection acts as a barrier (yamux frames are
ordered, so a reset the target sent while handling the frame has arrived by then) and as a
liveness probe. With an `InProcessTarget` the fuzzer also waits until the target's handler for the
stream has returned, records any exception with its traceback, and restarts a crashed target.
"""

from __future__ import annotations

import contextlib
import logging
import time

import multiaddr
import trio
from libp2p.peer.peerinfo import info_from_p2p_addr

from node.p2p_fuzz.probes import (
    KNOWN_PROTOCOLS,
    fresh_connection_answers,
    ping_once,
    running_host,
    target_protocols,
)
from node.p2p_fuzz.protobuf_wire import Context
from node.p2p_fuzz.report import CrashReport, FuzzReport, ProtocolReport
from node.p2p_fuzz.schedule import BY_NAME, frame_rng, schedule
from node.p2p_fuzz.send import barrier, send_frame

log = logging.getLogger("guardian.p2p_fuzz")




class _Link:
    """The fuzzing host and its connection to the target. `close()` drops the host: after a
    target crash the old host's swarm may still hold the dead connection, and its peerstore the
    old target's state, so a crash is followed by a fresh host rather than a repair."""

    def __init__(self, addr: str) -> None:
        self.host = None
        self._stack: contextlib.AsyncExitStack | None = None
        self.set_addr(addr)

    def set_addr(self, addr: str) -> None:
        self.addr = addr
        self.info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        self.peer_id = self.info.peer_id

    async def open(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.host = await self._stack.enter_async_context(running_host())

    async def close(self) -> None:
        if self._stack is not None:
            stack, self._stack, self.host = self._stack, None, None
            # (no cancel scope around this: the host's nursery was opened outside it)
            await stack.aclose()

    def connected(self) -> bool:
        return self.host is not None and self.peer_id in self.host.get_connected_peers()

    async def ensure(self, timeout: float = 10.0) -> bool:
        if self.connected():
            return True
        if self.host is None:
            await self.open()
        try:
            with trio.fail_after(timeout):
                await self.host.connect(self.info)
            return True
        except Exception:  # noqa: BLE001
            return False


async def fuzz(target_addr: str | None, protocols: list[str] | None = None,
               frames_per_protocol: int = 500, seed: int = 0, *, big_frames: int = 4,
               target=None, generators: list[str] | None = None,
               max_crashes_per_generator: int = 3, stop_on_crash: bool = False,
               handle_timeout: float = 15.0, ctx: Context | None = None,
               progress=None) -> FuzzReport:
    """Fuzz every protocol in `protocols` (default: all the target announces plus the usual
    pubsub ones) with `frames_per_protocol` frames each plus `big_frames` 1 MiB frames.

    `target` is an optional `InProcessTarget` (then `target_addr` may be None): it gives exact
    per-frame attribution, exception tracebacks, and restarts after a crash. Without it a crash
    shows as a target that stops answering, and fuzzing stops there.
    """
    ctx = ctx or Context(topic=target.config.topic if target is not None else Context.topic)
    addr = target_addr or target.addr
    report = FuzzReport(target=addr, seed=seed, frames_per_protocol=frames_per_protocol)
    report.target_protocols = (target.protocols() if target is not None
                               else await target_protocols(addr))
    if protocols is None:
        protocols = sorted(set(report.target_protocols) | set(KNOWN_PROTOCOLS))
    link = _Link(addr)
    try:
        if not await link.ensure():
            raise ConnectionError(f"cannot connect to the fuzz target at {addr}")
        for proto in protocols:
            pr = ProtocolReport(proto)
            report.protocols[proto] = pr
            started = time.perf_counter()
            fuzz_one = _fuzz_raw if proto.startswith("/raw/") else _fuzz_protocol
            await fuzz_one(link, target, pr, report, proto, seed, frames_per_protocol,
                                 big_frames, generators, max_crashes_per_generator,
                                 stop_on_crash, handle_timeout, ctx, progress)
            pr.seconds = time.perf_counter() - started
            if target is not None:
                pr.services_after = target.services_running()
            pr.alive_after = await fresh_connection_answers(link.addr)
            if target is not None:
                pr.alive_after = pr.alive_after and all(pr.services_after.values())
            if stop_on_crash and pr.crashes:
                break
    finally:
        await link.close()
    return report


async def _fuzz_raw(link, target, pr, report, proto, seed, frames, big_frames, generators,
                    max_crashes, stop_on_crash, handle_timeout, ctx, progress, crash_wait=5.0):
    """One fresh TCP connection per frame below the stream layer (see `raw`)."""
    from node.p2p_fuzz.raw import raw_frame_bytes, send_raw_frame

    crashes_seen = len(target.crashes) if target is not None else 0
    stats = pr.by_generator.setdefault(proto, {"sent": 0, "resets": 0, "crashes": 0,
                                               "skipped": 0})
    for index in range(frames):
        if stats["crashes"] >= max_crashes:
            pr.frames_skipped += frames - index
            stats["skipped"] += frames - index
            return
        outcome, _length = await send_raw_frame(link.addr, proto, seed, index)
        if outcome == "refused":
            pr.connection_losses += 1
        else:
            pr.frames_sent += 1
            stats["sent"] += 1
        if outcome == "closed":
            pr.stream_resets += 1
            stats["resets"] += 1
        if progress is not None:
            progress(proto, proto, index, outcome)
        checkpoint = outcome == "refused" or index % 50 == 49 or index == frames - 1
        if target is not None:
            crashed = target.crashed.is_set()
            if not crashed and checkpoint and not await barrier(link):
                with trio.move_on_after(crash_wait):
                    await target.crashed.wait()
                crashed = target.crashed.is_set() or not await fresh_connection_answers(link.addr)
        else:
            crashed = checkpoint and not await barrier(link)
        if not crashed:
            continue
        stats["crashes"] += 1
        data = raw_frame_bytes(proto, seed, index)
        base = dict(protocol=proto, generator=proto, seed=seed, index=index, frame_len=len(data),
                    frame_head=data[:48].hex(), observed=f"connection outcome {outcome}")
        new = target.crashes[crashes_seen:] if target is not None else []
        if target is not None:
            crashes_seen = len(target.crashes)
        for c in new or [None]:
            pr.crashes.append(CrashReport(**base, **({} if c is None else dict(
                exc_type=c.exc_type, message=c.message, raised_at=c.raised_at,
                escapes_at=c.escapes_at, frames=c.frames))) if c is not None else
                CrashReport(**base, exc_type="(no exception: target unresponsive)"))
        if stop_on_crash or target is None or not await _recover(link, target, report):
            return


async def _fuzz_protocol(link, target, pr, report, proto, seed, frames, big_frames, generators,
                         max_crashes, stop_on_crash, handle_timeout, ctx, progress, crash_wait=5.0):
    crashes_by_gen: dict[str, int] = {}
    crashes_seen = len(target.crashes) if target is not None else 0
    handler_seen = len(target.handler_crashes) if target is not None else 0
    for gen_name, index in schedule(proto, frames, big_frames, generators):
        stats = pr.by_generator.setdefault(gen_name, {"sent": 0, "resets": 0, "crashes": 0,
                                                      "skipped": 0})
        if crashes_by_gen.get(gen_name, 0) >= max_crashes:
            pr.frames_skipped += 1
            stats["skipped"] += 1
            continue
        if not await link.ensure():
            pr.connection_losses += 1
            if target is None or not await _recover(link, target, report):
                pr.frames_skipped += 1
                stats["skipped"] += 1
                return
        data = BY_NAME[gen_name].fn(frame_rng(seed, proto, gen_name, index), ctx)
        outcome, seconds = await send_frame(link, target, proto, data, handle_timeout)
        if outcome == "not_supported":
            pr.negotiated = False
            return
        pr.frames_sent += 1
        stats["sent"] += 1
        pr.max_handle_seconds = max(pr.max_handle_seconds, seconds)
        if outcome == "slow":
            pr.slow_frames += 1
        if outcome == "reset":
            pr.stream_resets += 1
            stats["resets"] += 1
        alive = await ping_once(link.host, link.peer_id) if link.connected() else False
        if not link.connected():
            pr.connection_losses += 1
        if target is None:
            crashed = not alive
        else:
            if not alive:
                # the barrier failed: the service takes a moment to tear down; wait (bounded)
                # for its exception to arrive. (An exception at a handler boundary alone is not a
                # crash: the node's guard may have ended just that stream.)
                with trio.move_on_after(crash_wait):
                    await target.crashed.wait()
            crashed = target.crashed.is_set()
            if not crashed and not alive:
                # the barrier failed without an exception (connection dropped or a hang)
                crashed = not await fresh_connection_answers(link.addr)
        if progress is not None:
            progress(proto, gen_name, index, outcome)
        if not crashed:
            continue
        stats["crashes"] += 1
        crashes_by_gen[gen_name] = crashes_by_gen.get(gen_name, 0) + 1
        base = dict(protocol=proto, generator=gen_name, seed=seed, index=index,
                    frame_len=len(data), frame_head=data[:48].hex(),
                    observed=f"stream outcome {outcome}; ping barrier "
                             f"{'answered' if alive else 'failed'}")
        new = target.crashes[crashes_seen:] if target is not None else []
        at_handler = target.handler_crashes[handler_seen:] if target is not None else []
        if target is not None:
            crashes_seen, handler_seen = len(target.crashes), len(target.handler_crashes)
        if new:
            for c in new:
                # prefer the traceback seen at the stream handler boundary (names the protocol)
                h = next((h for h in at_handler if h.exc_type == c.exc_type), None)
                pick = h or c
                pr.crashes.append(CrashReport(**base, exc_type=pick.exc_type, message=pick.message,
                                              raised_at=pick.raised_at,
                                              escapes_at=pick.escapes_at, frames=pick.frames))
        else:
            pr.crashes.append(CrashReport(**base, exc_type="(no exception: target unresponsive)"))
        log.warning("crash: %s %s #%d -> %s", proto, gen_name, index, pr.crashes[-1].exc_type)
        if stop_on_crash or target is None:
            return
        if not await _recover(link, target, report):
            return


async def _recover(link, target, report) -> bool:
    try:
        log.debug("recover: closing the fuzz host")
        await link.close()
        log.debug("recover: restarting the target")
        with trio.fail_after(30):
            link.set_addr(await target.restart())
        report.restarts += 1
        for attempt in range(3):  # bounded: a fresh host until a ping is answered
            log.debug("recover: connecting, attempt %d", attempt)
            if await link.ensure() and await ping_once(link.host, link.peer_id):
                return True
            await link.close()
        return False
    except Exception:  # noqa: BLE001
        log.exception("could not restart the fuzz target")
        return False
