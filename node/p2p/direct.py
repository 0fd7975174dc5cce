"""Direct links: our own incident messages sent once to each connected member over one persistent
stream per member, next to gossipsub, and never forwarded.

Why: a message we flood-publish reaches every member in one hop, but then every member forwards
it to its mesh, so each guardian handles about 1 + D copies of each of n shares, at about 3.5 ms of
py-libp2p CPU per copy (envelope signature, RPC framing, seen cache, forwarding). With 16
guardians on 2 cores the last share was signed 7.6 s before the first combination (issue 23). Over
a direct link each member gets one copy of each message, from its author.

Wire (`DIRECT_PROTOCOL`): a stream carries frames, each a 4-byte big-endian length and that many
bytes of one gossip message (the same bytes as on the topic). A member keeps one stream to each
other member and writes from one task per member, so a slow member delays only its own link.

Receiving (`DirectLinks.handle`): members only; a stream from anyone else is reset and charged. One
stream per member (a new one replaces the old: the member reconnected). A frame of 0 bytes or over
`max_frame` resets the stream and is charged; a frame that stalls half-way is dropped after
`FRAME_TIMEOUT_SECONDS`. Each frame then goes through what a gossip message goes through (the
per-peer admission and rate limit, the remembered rejections, the validator; for a share or proof
of the link's own member, the link validator, which takes the link as its author's signature:
node.p2p.delivery) and to the same inbound channel (`P2PService`).

Gossip stays the fallback: the service also publishes on the topic when a member is not connected,
when observers follow the topic, or when a link failed to deliver (`on_undelivered`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable

import trio
from libp2p.custom_types import TProtocol
from libp2p.io.exceptions import IncompleteReadError
from libp2p.io.utils import read_exactly
from libp2p.network.stream.exceptions import StreamEOF, StreamError
from libp2p.peer.id import ID

from protocol.gossip_rules import message_id

log = logging.getLogger("guardian.p2p")

DIRECT_PROTOCOL = TProtocol("/guardian/direct/1.0.0")
HEADER_BYTES = 4
OPEN_TIMEOUT_SECONDS = 5.0
WRITE_TIMEOUT_SECONDS = 5.0
FRAME_TIMEOUT_SECONDS = 10.0  # a frame whose header came must arrive whole within this
UNDELIVERED_KEPT = 1024
QUEUE_PER_MEMBER = 256  # messages waiting for one member's link; beyond, gossip carries them
CLOSED = (StreamEOF, IncompleteReadError, StreamError, trio.TooSlowError, trio.ClosedResourceError,
          trio.BrokenResourceError)


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(HEADER_BYTES, "big") + data


class DirectLinks:
    """One host's direct links. `receive(peer, data)` gets each admitted frame; `on_fault(peer,
    what)` is charged for a broken rule; `on_undelivered(data)` gets a message a link could not
    deliver (the service gossips it)."""

    def __init__(self, host, *, is_member: Callable[[str], bool],
                 receive: Callable[[str, bytes], Awaitable[None]],
                 on_fault: Callable[[str, str], None],
                 on_undelivered: Callable[[bytes], Awaitable[None]], max_frame: int,
                 stats: dict) -> None:
        self.host = host
        self.is_member = is_member
        self.receive = receive
        self.on_fault = on_fault
        self.on_undelivered = on_undelivered
        self.max_frame = max_frame
        self.stats = stats
        for name in ("direct_out", "direct_in", "direct_failed"):
            stats.setdefault(name, 0)
        self._queues: dict[str, trio.MemorySendChannel] = {}
        self._inbound: dict[str, object] = {}
        self._undelivered: OrderedDict[bytes, None] = OrderedDict()  # handed to gossip already
        self._nursery: trio.Nursery | None = None

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.host.set_stream_handler(DIRECT_PROTOCOL, self.handle)
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    # -- sending ---------------------------------------------------------------------------------
    def keep(self, members: set[str]) -> None:
        """Links to exactly these connected members: a new member's link is opened now, ahead of
        the first incident (opening costs a multistream negotiation), and a gone member's link is
        closed (`P2PService` calls this every sweep)."""
        if self._nursery is None:
            return
        for peer in members - self._queues.keys():
            self._link(peer)
        for peer in self._queues.keys() - members:
            self._queues.pop(peer).close()

    def send(self, data: bytes, peers: Iterable[str]) -> set[str]:
        """Queue `data` on each peer's link; returns the peers it was queued for (a full queue is
        left out: gossip carries the message to that member)."""
        if self._nursery is None:
            return set()
        queued = set()
        for peer in peers:
            try:
                (self._queues.get(peer) or self._link(peer)).send_nowait(data)
                queued.add(peer)
            except trio.WouldBlock:
                pass
        return queued

    def _link(self, peer: str) -> trio.MemorySendChannel:
        channel, receive = trio.open_memory_channel[bytes](QUEUE_PER_MEMBER)
        self._queues[peer] = channel
        self._nursery.start_soon(self._writer, peer, receive)
        return channel

    async def _open(self, peer: str):
        with trio.fail_after(OPEN_TIMEOUT_SECONDS):
            return await self.host.new_stream(ID.from_base58(peer), [DIRECT_PROTOCOL])

    async def _writer(self, peer: str, queue: trio.MemoryReceiveChannel) -> None:
        stream = None
        try:
            stream = await self._open(peer)
        except Exception as exc:  # noqa: BLE001 - opened again at the first message
            log.debug("p2p: could not open a direct link to %s yet: %s", peer, exc)
        try:
            async for data in queue:
                stream = await self._deliver(peer, stream, data)
        finally:
            await _reset(stream)

    async def _deliver(self, peer: str, stream, data: bytes):
        """Write one frame, opening the stream again once if it broke since the last write;
        returns the stream to use next (None: open a new one)."""
        for attempt in (1, 2):
            try:
                if stream is None:
                    stream = await self._open(peer)
                with trio.fail_after(WRITE_TIMEOUT_SECONDS):
                    await stream.write(frame(data))
                self.stats["direct_out"] += 1
                return stream
            except Exception as exc:  # noqa: BLE001 - any failure: retry once, then gossip
                await _reset(stream)
                stream = None
                if attempt == 2:
                    self.stats["direct_failed"] += 1
                    log.debug("p2p: direct link to %s failed (%s: %s); gossiping instead",
                              peer, type(exc).__name__, exc)
                    mid = message_id(data)
                    if mid not in self._undelivered:  # gossip carries it to all: once is enough
                        self._undelivered[mid] = None
                        while len(self._undelivered) > UNDELIVERED_KEPT:
                            self._undelivered.popitem(last=False)
                        await self.on_undelivered(data)
        return None

    # -- receiving -------------------------------------------------------------------------------
    async def handle(self, stream) -> None:
        peer = str(stream.muxed_conn.peer_id)
        if not self.is_member(peer):
            self.on_fault(peer, "opened a direct link without being a member")
            await _reset(stream)
            return
        previous = self._inbound.get(peer)
        self._inbound[peer] = stream
        if previous is not None:
            await _reset(previous)  # one link per member: it reconnected
        try:
            while True:
                header = await read_exactly(stream, HEADER_BYTES)  # idle links wait here
                size = int.from_bytes(header, "big")
                if not 0 < size <= self.max_frame:
                    self.on_fault(peer, f"direct frame of {size} bytes (at most "
                                        f"{self.max_frame})")
                    await _reset(stream)
                    return
                with trio.move_on_after(FRAME_TIMEOUT_SECONDS) as stalled:
                    data = await read_exactly(stream, size)
                if stalled.cancelled_caught:
                    self.on_fault(peer, f"a direct frame stalled for {FRAME_TIMEOUT_SECONDS:.0f} s")
                    await _reset(stream)
                    return
                self.stats["direct_in"] += 1
                await self.receive(peer, data)
        except CLOSED:
            await _reset(stream)
        finally:
            if self._inbound.get(peer) is stream:
                del self._inbound[peer]


async def _reset(stream) -> None:
    if stream is None:
        return
    with trio.move_on_after(2):
        try:
            await stream.reset()
        except Exception:  # noqa: BLE001 - the stream may be gone already
            pass
