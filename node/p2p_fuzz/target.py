"""An in-process target: a real `P2PService`, supervised so that a crash is recorded (with the
exception and the library frames it came through) instead of tearing down the caller, and can be
restarted on the same identity and port.

The supervisor also wraps the target host's stream handlers in an observer that re-raises
everything unchanged; it lets the fuzzer wait until the target has finished with each stream
(exact per-frame attribution) and catches an exception at the handler boundary with its traceback.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import os
import socket
import traceback
from dataclasses import dataclass, field

import trio

from node.p2p import P2PConfig, P2PService
from node.p2p.handshakes import HandshakeLimits
from node.p2p.identity import generate_identity
from node.p2p.peers import PeerLimits

log = logging.getLogger("guardian.p2p_fuzz")
_SITE = os.sep + "site-packages" + os.sep


class Verdict(enum.Enum):
    ACCEPT = 1
    IGNORE = 2
    REJECT = 3


def accept_validator(peer: str, data: bytes) -> Verdict:
    """The fuzz targets' topic validator: accepts messages that start with b"ok"."""
    return Verdict.ACCEPT if data.startswith(b"ok") else Verdict.REJECT


def _where(frame_summary) -> str:
    path = frame_summary.filename
    if _SITE in path:
        path = path.split(_SITE, 1)[1]
    else:
        path = os.path.relpath(path) if path.startswith(os.getcwd()) else path
    return f"{path}:{frame_summary.lineno} ({frame_summary.name})"


def leaf_exceptions(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaf_exceptions(sub)]
    return [exc]


@dataclass
class Crash:
    """One exception that escaped into the target's task tree."""
    exc_type: str
    message: str
    raised_at: str  # innermost frame
    escapes_at: str  # outermost libp2p frame: the handler or task that did not catch it
    frames: list[str]  # outermost first (task entry) to innermost (raise site)
    where: str = "service"  # "handler:<protocol>" when seen at the stream handler boundary

    @property
    def key(self) -> str:
        return f"{self.exc_type} raised at {self.raised_at}"

    @classmethod
    def from_exception(cls, exc: BaseException, where: str = "service") -> Crash:
        frames = [_where(f) for f in traceback.extract_tb(exc.__traceback__)]
        # drop our own observer frame (it only re-raises)
        frames = [f for f in frames if "p2p_fuzz" not in f]
        # the outermost libp2p frame: the handler or task that let the exception through
        outer = next((f for f in frames if f.startswith("libp2p")), frames[0] if frames else "?")
        return cls(exc_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
                   message=str(exc)[:300], raised_at=frames[-1] if frames else "?",
                   escapes_at=outer,
                   frames=frames[-12:], where=where)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class InProcessTarget:
    """Start with `await nursery.start(target.run)`; `restart()` after a crash."""
    config: P2PConfig | None = None
    validator: object = accept_validator
    identity: bytes = field(default_factory=generate_identity)
    crashes: list[Crash] = field(default_factory=list)
    handler_crashes: list[Crash] = field(default_factory=list)
    service: P2PService | None = None
    addr: str | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        if self.config is None:
            # No bans: the fuzzer's frames must all reach the parsers (a default node would cut
            # the fuzzing peer off after a few dozen faults; tests/node/test_p2p_hardening.py),
            # and its garbage handshakes must not get its address throttled (node.p2p.handshakes;
            # tests/node/test_p2p_insider.py).
            self.config = P2PConfig(listen=f"/ip4/127.0.0.1/tcp/{free_port()}",
                                    limits=PeerLimits(member_threshold=1e18,
                                                      outsider_threshold=1e18),
                                    handshakes=HandshakeLimits(refusal_burst=1e18))
        self._running = False
        self._crashed = trio.Event()
        self._nursery: trio.Nursery | None = None
        self._scope: trio.CancelScope | None = None
        self._handled: dict[tuple[str, int], trio.Event] = {}

    # -- lifecycle --------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Supervises one target at a time until cancelled; restarts on request."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self.addr = await nursery.start(self._run_one)
            task_status.started(self.addr)
            await trio.sleep_forever()

    async def restart(self) -> str:
        if self._scope is not None:
            self._scope.cancel()
        while self._running:
            await trio.sleep(0.01)
        # A new port: the listener of a crashed swarm can outlive it and keep accepting
        # connections it can no longer serve (seen with py-libp2p 0.8.1).
        self.config = dataclasses.replace(self.config, listen=f"/ip4/127.0.0.1/tcp/{free_port()}")
        self.addr = await self._nursery.start(self._run_one)
        return self.addr

    async def _run_one(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.service = P2PService(self.config, self.identity, self.validator)
        self._crashed = trio.Event()
        self._handled = {}
        self.starts += 1
        started = False

        async def observed_start(task_status=trio.TASK_STATUS_IGNORED):
            await self.service.run(task_status=task_status)

        with trio.CancelScope() as scope:
            self._scope = scope
            self._running = True
            try:
                async with trio.open_nursery() as inner:
                    addrs = await inner.start(observed_start)
                    self._observe_handlers()
                    for name, manager in self._managers().items():
                        inner.start_soon(self._watch, name, manager, scope)
                    started = True
                    task_status.started(addrs[0])
            except BaseException as exc:  # noqa: BLE001 - recording what escaped is the point
                real = [e for e in leaf_exceptions(exc) if not isinstance(e, trio.Cancelled)]
                if not real:
                    raise
                if not self._crashed.is_set():  # else a watcher recorded it already
                    for leaf in real:
                        self.crashes.append(Crash.from_exception(leaf))
                self._crashed.set()
                if not started:
                    raise
            finally:
                self._running = False

    def _managers(self) -> dict[str, object]:
        """The library services a P2PService runs. When one of them dies, P2PService.run does
        not notice (it keeps sleeping inside their context managers): the node is a zombie."""
        svc = self.service
        host = getattr(svc, "_host", None)
        objs = {"swarm": host.get_network() if host is not None else None,
                "pubsub": getattr(svc, "_pubsub", None), "router": getattr(svc, "_router", None)}
        return {name: obj.manager for name, obj in objs.items()
                if obj is not None and getattr(obj, "manager", None) is not None}

    async def _watch(self, name: str, manager, scope: trio.CancelScope) -> None:
        await manager.wait_finished()
        if scope.cancel_called:
            return  # we stopped it
        errors = list(getattr(manager, "_errors", ()))
        for _type, exc, _tb in errors:
            for leaf in leaf_exceptions(exc):
                if not isinstance(leaf, trio.Cancelled):
                    self.crashes.append(Crash.from_exception(leaf, where=name))
        if not errors:
            self.crashes.append(Crash(exc_type="(stopped without an error)", message="",
                                      raised_at="?", escapes_at="?", frames=[], where=name))
        log.warning("fuzz target: the %s service stopped (%d errors)", name, len(errors))
        self._crashed.set()
        scope.cancel()  # a zombie target is a crashed target: stop it so it can be restarted

    # -- observation ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running and not self._crashed.is_set()

    @property
    def crashed(self) -> trio.Event:
        return self._crashed

    def services_running(self) -> dict[str, bool]:
        """The service task and the library services it runs (swarm, pubsub, router)."""
        out = {"service_task": self.running}
        for name in ("swarm", "pubsub", "router"):
            manager = self._managers().get(name)
            out[name] = bool(manager is not None and manager.is_running)
        return out

    def protocols(self) -> list[str]:
        host = getattr(self.service, "_host", None)
        return sorted(str(p) for p in host.get_mux().handlers) if host else []

    def _observe_handlers(self) -> None:
        mux = self.service._host.get_mux()
        for proto, handler in list(mux.handlers.items()):
            if handler is not None and not getattr(handler, "_fuzz_observer", False):
                mux.handlers[proto] = self._observer(str(proto), handler)

    def _observer(self, proto: str, handler):
        async def observed(stream):
            key = self._stream_key(stream)
            try:
                await handler(stream)
            except BaseException as exc:
                real = [e for e in leaf_exceptions(exc) if not isinstance(e, trio.Cancelled)]
                for leaf in real:
                    self.handler_crashes.append(Crash.from_exception(leaf, f"handler:{proto}"))
                raise
            finally:
                self._handled.setdefault(key, trio.Event()).set()
        observed._fuzz_observer = True
        return observed

    @staticmethod
    def _stream_key(stream) -> tuple[str, int]:
        muxed = getattr(stream, "muxed_stream", stream)
        peer = str(getattr(stream.muxed_conn, "peer_id", ""))
        return peer, int(getattr(muxed, "stream_id", -1))

    async def wait_handled(self, peer: str, stream_id: int, timeout: float) -> bool:
        """Until the target's handler for that stream returned or raised (or it crashed)."""
        event = self._handled.setdefault((peer, stream_id), trio.Event())
        crashed = self._crashed
        with trio.move_on_after(timeout):
            async with trio.open_nursery() as nursery:
                async def on(ev):
                    await ev.wait()
                    nursery.cancel_scope.cancel()
                nursery.start_soon(on, event)
                nursery.start_soon(on, crashed)
        self._handled.pop((peer, stream_id), None)
        return event.is_set()
