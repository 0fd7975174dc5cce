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
import os
import time
from dataclasses import asdict, dataclass, field

import multiaddr
import trio
from libp2p import new_host
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux

from node.p2p_fuzz.generators import BY_NAME, Context, frame_rng, schedule

log = logging.getLogger("guardian.p2p_fuzz")

PING = "/ipfs/ping/1.0.0"
# Protocols a GossipSub target might speak; the target's own list (identify) is added to these.
KNOWN_PROTOCOLS = ("/meshsub/1.2.0", "/meshsub/1.1.0", "/meshsub/1.0.0", "/floodsub/1.0.0",
                   "/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0")


def fuzz_host():
    """A normal Noise-only, Yamux-only host, as the node builds it."""
    kp = create_new_key_pair(os.urandom(32))
    noise = NoiseTransport(kp, noise_privkey=create_x25519_key_pair().private_key)
    return new_host(key_pair=kp, sec_opt={NOISE_PROTOCOL_ID: noise},
                    muxer_opt={YAMUX_PROTOCOL_ID: Yamux})


@contextlib.asynccontextmanager
async def running_host():
    host = fuzz_host()
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        yield host


async def ping_once(host, peer_id, timeout: float = 5.0) -> bool:
    """A fresh ping stream: 32 bytes out, the same 32 bytes back."""
    try:
        with trio.fail_after(timeout):
            stream = await host.new_stream(peer_id, [PING])
            try:
                payload = os.urandom(32)
                await stream.write(payload)
                echo = b""
                while len(echo) < 32:
                    chunk = await stream.read(32 - len(echo))
                    if not chunk:
                        break
                    echo += chunk
                return echo == payload
            finally:
                with contextlib.suppress(Exception):
                    await stream.reset()
    except Exception:  # noqa: BLE001 - any failure means "did not answer"
        return False


async def fresh_connection_answers(addr: str, timeout: float = 10.0) -> bool:
    """Liveness from outside: a new host dials the target and gets a ping answered."""
    try:
        with trio.fail_after(timeout):
            async with running_host() as host:
                info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
                await host.connect(info)
                return await ping_once(host, info.peer_id)
    except Exception:  # noqa: BLE001
        return False


async def target_protocols(addr: str, timeout: float = 10.0) -> list[str]:
    """The protocols the target announces in identify (what its multiselect will accept)."""
    with trio.fail_after(timeout):
        async with running_host() as host:
            info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
            await host.connect(info)
            for _ in range(100):  # identify runs on connect; bounded wait for its answer
                protos = host.get_peerstore().get_protocols(info.peer_id)
                if protos:
                    return sorted(str(p) for p in protos)
                await trio.sleep(0.05)
    return []


@dataclass
class CrashReport:
    protocol: str
    generator: str
    seed: int
    index: int
    frame_len: int
    frame_head: str  # first 48 bytes, hex
    exc_type: str = "?"
    message: str = ""
    raised_at: str = "?"
    escapes_at: str = "?"
    frames: list[str] = field(default_factory=list)
    observed: str = ""  # how it showed from the network side


@dataclass
class ProtocolReport:
    protocol: str
    negotiated: bool = True
    frames_sent: int = 0
    frames_skipped: int = 0
    stream_resets: int = 0
    connection_losses: int = 0
    slow_frames: int = 0  # handler still busy after the wait
    max_handle_seconds: float = 0.0
    crashes: list[CrashReport] = field(default_factory=list)
    alive_after: bool | None = None
    services_after: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    by_generator: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def frames_per_second(self) -> float:
        return self.frames_sent / self.seconds if self.seconds else 0.0


@dataclass
class FuzzReport:
    target: str
    seed: int
    frames_per_protocol: int
    protocols: dict[str, ProtocolReport] = field(default_factory=dict)
    target_protocols: list[str] = field(default_factory=list)
    restarts: int = 0

    @property
    def crashes(self) -> list[CrashReport]:
        return [c for p in self.protocols.values() for c in p.crashes]

    def crash_classes(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in self.crashes:
            key = f"{c.protocol} | {c.exc_type} @ {c.raised_at}"
            entry = out.setdefault(key, {"protocol": c.protocol, "exc_type": c.exc_type,
                                         "raised_at": c.raised_at, "escapes_at": c.escapes_at,
                                         "frames": c.frames, "count": 0, "generators": {},
                                         "example": asdict(c)})
            entry["count"] += 1
            entry["generators"][c.generator] = entry["generators"].get(c.generator, 0) + 1
        return out

    def to_json(self) -> dict:
        total = sum(p.frames_sent for p in self.protocols.values())
        seconds = sum(p.seconds for p in self.protocols.values())
        return {
            "target": self.target, "seed": self.seed,
            "frames_per_protocol": self.frames_per_protocol,
            "target_protocols": self.target_protocols, "restarts": self.restarts,
            "frames_sent": total, "frames_per_second": round(total / seconds, 1) if seconds else 0,
            "crashes": len(self.crashes),
            "protocols": {
                name: {k: v for k, v in asdict(p).items() if k != "crashes"} | {
                    "crashes": len(p.crashes),
                    "frames_per_second": round(p.frames_per_second, 1)}
                for name, p in self.protocols.items()},
            "crash_classes": self.crash_classes(),
        }


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
            if not crashed and checkpoint and not await _barrier(link):
                with trio.move_on_after(crash_wait):
                    await target.crashed.wait()
                crashed = target.crashed.is_set() or not await fresh_connection_answers(link.addr)
        else:
            crashed = checkpoint and not await _barrier(link)
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


async def _barrier(link) -> bool:
    return await link.ensure() and await ping_once(link.host, link.peer_id)


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
        outcome, seconds = await _send_frame(link, target, proto, data, handle_timeout)
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


async def _drain(stream) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


async def _send_frame(link, target, proto, data, handle_timeout) -> tuple[str, float]:
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
                nursery.start_soon(_drain, stream)
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
