"""Guards for py-libp2p 0.8.1 defects (TOOLCHAIN.md), the one list of them in this code base.

The rule behind every guard: an exception caused by a peer ends that peer's stream or connection
and is counted against the peer (`on_fault(peer, what)`); it never reaches a nursery that would
take the Swarm, the pubsub service or the node down with it. Guards sit at the boundaries where
the library hands control to per-peer code, not around one exception type at a time.

 1. The library's message signature validator raises on a garbage public key in a message's
    `key` field, which kills the pubsub service. `safe_signature_validator` answers False
    instead, and charges the peer that forwarded the message.
 2. A topic validator that raises kills the node: `never_raising` wraps ours.
 3. Spam protection (10 msg/s per peer per topic, own publishes included) silently stops
    forwarding: set deliberately in `P2PConfig`.
 4. The per-peer outbound queue holds 32 RPCs and drops silently: raised (config).
 5. Async validators can deliver twice: the service deduplicates.
 6. The default host also offers plaintext and secio: the service configures Noise only.
 7. Shutting down while messages arrive can raise `Nursery is closed to new arrivals`: the
    service treats it as the end of a run.
 8. The default heartbeat is 120 s: 1 s (config).
 9. A subscription holds 32 messages and drops the rest: raised (config), drained promptly.
10. Nothing reconnects by itself: the service redials members.
11. Any exception while reading or handling a peer's stream (a malformed protobuf frame on
    `/meshsub/1.1.0` raises `DecodeError`, which pubsub's handler does not catch) cancels the
    Swarm. `guard_stream_handler` wraps the Swarm's one entry point for every inbound stream, on
    every protocol (pubsub, identify, ping and any added later), `guard_inbound_connections`
    wraps the handler of every inbound connection (Noise, Yamux set-up), `GuardedYamux` the
    muxer's read loop, and `guard_push_msg` the per-message tasks pubsub spawns.
12. With no score parameters a PRUNE with peer exchange from anyone makes the node dial whoever
    it names, and REJECTed messages are not remembered, so IHAVE/IWANT fetches them again. The
    router (`node.p2p.router`) accepts PX from members only; `RejectionAwareSeenCache`
    (`node.p2p.seen`) makes REJECTed ids count as seen.

13. The Swarm's auto-connector dials every peer in the peerstore while the node has fewer than
    ~150 connections, and any peer's own signed record (sent with every pubsub RPC) lands there:
    outsiders steer dials. `disable_auto_dial` turns it off; a guardian dials only the members
    in its configuration.

14. The handler of an inbound connection holds one of the Swarm's 250 inbound slots until the
    Swarm stops, not until the connection ends: after 250 inbound connections in a node's life
    (reconnecting guardians, observers, anyone who completes a handshake) it refuses every new
    one. `release_inbound_slots` (`node.p2p.inbound_slots`) ends the handler when its connection
    closes.

15. The ping handler echoes every 32 bytes for as long as a stream stays open: one 1 MiB write
    kept a node echoing 32,768 pings (about 10 s of CPU). `node.p2p.ping` replaces it with a
    handler that allows a burst per stream, then resets the stream and charges the peer.

16. py-libp2p logs on `libp2p.*` loggers that it detaches from the root logger, so Python's
    last-resort handler writes their warnings as bare, unbounded text (tracebacks included), and
    peers cause many of them. `node.p2p.library_log` routes them through the service, which
    charges the peer and writes one formatted line within the ledger's log bounds; the guards
    here name the peer (`library_log.current_peer`) while a peer's stream or message is handled.

Connections are gated after the Noise handshake (`gate_security`): the remote peer id is known
and authenticated there, before a single stream is accepted. Source addresses whose handshakes
keep being refused are throttled, then banned, before the next handshake starts
(`guard_inbound_connections` with `node.p2p.handshakes`).
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable

import libp2p.pubsub.pubsub as pubsub_module
import trio
from libp2p.pubsub import rpc_queue
from libp2p.stream_muxer.yamux.yamux import Yamux
from libp2p.transport.exceptions import SecurityUpgradeFailure

from node.p2p import library_log
from node.p2p.handshakes import source_address

log = logging.getLogger("guardian.p2p")

FaultFn = Callable[[str, str], None]

_installed: dict[str, object] = {}
# The peer whose forwarded message the current pubsub task is handling (set by guard_push_msg).
current_forwarder: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_forwarder", default=None)
# Where signature failures are charged; one per process (set by the last service to start).
_signature_fault: list[FaultFn] = []


def peer_of(obj) -> str:
    """The base58 peer id behind a stream or connection, or '?' when the library has none."""
    try:
        muxed = getattr(obj, "muxed_conn", obj)
        return muxed.peer_id.to_base58()
    except Exception:  # noqa: BLE001 - half-built connections lack attributes
        return "?"


# -- 1, 3, 4, 9: process-wide library settings ---------------------------------------------------
def safe_signature_validator(msg) -> bool:
    try:
        ok = bool(_installed["signature_validator"](msg))
    except Exception as exc:  # noqa: BLE001 - exactly the defect being guarded
        log.debug("dropped a gossip message whose signature check raised: %s",
                  type(exc).__name__)
        ok = False
    if not ok:
        forwarder = current_forwarder.get()
        if forwarder is not None and _signature_fault:
            _signature_fault[-1](forwarder, "bad message envelope signature")
    return ok


def install_guards(outbound_queue_size: int, subscription_buffer: int,
                   on_signature_fault: FaultFn | None = None) -> None:
    if "signature_validator" not in _installed:
        _installed["signature_validator"] = pubsub_module.signature_validator
        pubsub_module.signature_validator = safe_signature_validator
    if on_signature_fault is not None:
        _signature_fault[:] = [on_signature_fault]
    pubsub_module.RpcQueue = functools.partial(rpc_queue.RpcQueue, max_size=outbound_queue_size)
    pubsub_module.SUBSCRIPTION_CHANNEL_SIZE = subscription_buffer


# -- 2 ---------------------------------------------------------------------------------------------
def never_raising(validator):
    """Wrap a topic validator so that an exception becomes a rejection, never a crash."""
    @functools.wraps(validator)
    def wrapped(peer_id, msg) -> bool:
        try:
            return bool(validator(peer_id, msg))
        except Exception:  # noqa: BLE001
            log.exception("topic validator raised; rejecting the message")
            return False
    return wrapped


# -- 11: the per-peer boundaries ---------------------------------------------------------------
async def _reset_quietly(stream) -> None:
    with trio.move_on_after(2):
        try:
            await stream.reset()
        except Exception:  # noqa: BLE001 - the stream may be gone already
            pass


def guard_stream_handler(swarm, on_fault: FaultFn) -> None:
    """Every inbound stream, whatever its protocol, is handled inside this wrapper."""
    inner = swarm.common_stream_handler

    async def guarded(stream) -> None:
        peer = peer_of(stream)
        token = library_log.current_peer.set(None if peer == "?" else peer)
        try:
            await inner(stream)
        except Exception as exc:  # noqa: BLE001 - the boundary of defect 11
            protocol = getattr(stream, "protocol_id", None) or "?"
            try:
                protocol = stream.get_protocol() or protocol
            except Exception:  # noqa: BLE001
                pass
            on_fault(peer, f"stream {protocol} raised {type(exc).__name__}")
            await _reset_quietly(stream)
        finally:
            library_log.current_peer.reset(token)

    swarm.set_stream_handler(guarded)


def guard_inbound_connections(swarm, on_fault: FaultFn,
                              admit_address: Callable[[str], bool] | None = None) -> None:
    """The handler of each inbound connection (transport, Noise, Yamux set-up). With
    `admit_address`, a connection from a source address it refuses is closed before the
    handshake starts (`node.p2p.handshakes`)."""
    inner = swarm._handle_inbound_connection

    async def guarded(read_write_closer, maddr) -> None:
        address = source_address(read_write_closer)
        if admit_address is not None and address is not None and not admit_address(address):
            with trio.move_on_after(2):
                try:
                    await read_write_closer.close()
                except Exception:  # noqa: BLE001
                    pass
            return
        try:
            await inner(read_write_closer, maddr)
        except Exception as exc:  # noqa: BLE001 - the boundary of defect 11
            on_fault("?", f"inbound connection from {maddr} raised {type(exc).__name__}")
            with trio.move_on_after(2):
                try:
                    await read_write_closer.close()
                except Exception:  # noqa: BLE001
                    pass

    swarm._handle_inbound_connection = guarded


class GuardedYamux(Yamux):
    """Yamux whose read loop ends its own connection, never its caller, on any exception."""

    async def handle_incoming(self) -> None:
        try:
            await super().handle_incoming()
        except Exception as exc:  # noqa: BLE001 - the boundary of defect 11
            log.debug("yamux read loop for %s raised %s; closing the connection",
                      self.peer_id, type(exc).__name__)
            self.event_shutting_down.set()
            try:
                await self._cleanup_on_error()
            except Exception:  # noqa: BLE001
                pass


def gate_security(upgrader, admit: Callable[[str], tuple[bool, str]], on_fault: FaultFn,
                  on_refused_address: Callable[[str], None] | None = None) -> None:
    """After the Noise handshake, ask `admit(peer)` whether the authenticated peer may stay;
    a refused or failing handshake becomes the library's own SecurityUpgradeFailure, which the
    Swarm handles per connection. An inbound handshake that fails or is refused is reported with
    its source address to `on_refused_address` (the throttle of `node.p2p.handshakes`)."""
    inner = upgrader.upgrade_security

    def refused_inbound(raw_conn, is_initiator: bool) -> None:
        if on_refused_address is not None and not is_initiator:
            address = source_address(raw_conn)
            if address is not None:
                on_refused_address(address)

    async def gated(raw_conn, is_initiator: bool, peer_id=None):
        try:
            secured = await inner(raw_conn, is_initiator, peer_id)
        except SecurityUpgradeFailure:
            refused_inbound(raw_conn, is_initiator)
            raise
        except Exception as exc:  # noqa: BLE001 - malformed handshakes must not escape
            refused_inbound(raw_conn, is_initiator)
            on_fault("?", f"security handshake raised {type(exc).__name__}")
            raise SecurityUpgradeFailure(f"handshake raised {type(exc).__name__}") from exc
        peer = secured.get_remote_peer().to_base58()
        allowed, why = admit(peer)
        if not allowed:
            refused_inbound(raw_conn, is_initiator)
            log.debug("p2p: refused %s after the handshake: %s", peer, why)
            try:
                await secured.close()
            except Exception:  # noqa: BLE001
                pass
            raise SecurityUpgradeFailure(f"peer {peer} refused: {why}")
        return secured

    upgrader.upgrade_security = gated


def guard_push_msg(pubsub, admit: Callable[[str, object], bool], on_fault: FaultFn) -> None:
    """Each gossip message a peer forwards runs in a task of its own (`Pubsub.push_msg`). Before
    any validation: the forwarder must be admitted (member, not banned, within its rate); the
    task never raises."""
    inner = pubsub.push_msg

    async def guarded(msg_forwarder, msg) -> None:
        peer = msg_forwarder.to_base58()
        if not admit(peer, msg):
            return
        token = current_forwarder.set(peer)
        caused = library_log.current_peer.set(peer)
        try:
            await inner(msg_forwarder, msg)
        except Exception as exc:  # noqa: BLE001 - the boundary of defect 11
            on_fault(peer, f"handling its message raised {type(exc).__name__}")
        finally:
            library_log.current_peer.reset(caused)
            current_forwarder.reset(token)

    pubsub.push_msg = guarded


# -- 13 --------------------------------------------------------------------------------------------
def disable_auto_dial(swarm) -> None:
    async def no_auto_dial() -> None:
        return None

    swarm.auto_connector.maybe_connect = no_auto_dial


# -- 7 ---------------------------------------------------------------------------------------------
def is_shutdown_race(exc: BaseException) -> bool:
    """Defect 7: shutting down while messages arrive can raise this from library tasks."""
    if isinstance(exc, BaseExceptionGroup):
        return all(is_shutdown_race(e) for e in exc.exceptions)
    return isinstance(exc, RuntimeError) and "Nursery is closed to new arrivals" in str(exc)
