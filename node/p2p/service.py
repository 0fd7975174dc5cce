"""P2PService: one libp2p host, one GossipSub topic, messages in and out as plain bytes.

    publish(data) ──> gossipsub ──> peers
    peers ──> signature check (guarded) ──> validator(peer, data) ──> inbound (ACCEPT only)

The validator is the application's (the gossip rules of `protocol.gossip_rules`); it returns a
verdict whose name is ACCEPT, IGNORE or REJECT. REJECTs are counted per forwarding peer. Message
ids are content addressed (sha256 of the payload), so the same guardian message arriving twice,
also after a restart, is delivered once; the application deduplicates again (async validation can
deliver twice). Lost bootstrap peers are redialed with exponential backoff, forever.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import AsyncExitStack

import multiaddr
import trio
from libp2p import new_host
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux
from libp2p.tools.anyio_service import background_trio_service

from node.p2p.config import P2PConfig
from node.p2p.guards import install_guards, never_raising
from node.p2p.identity import key_pair

log = logging.getLogger("guardian.p2p")


def message_id(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:20]


class P2PService:
    def __init__(self, config: P2PConfig, identity_key: bytes, validator) -> None:
        self.config = config
        self.validator = validator
        self._key_pair = key_pair(identity_key)
        self.peer_id = ID.from_pubkey(self._key_pair.public_key).to_base58()
        self._inbound_send, self.inbound = trio.open_memory_channel[tuple[str, bytes]](
            config.inbound_buffer)
        self._host = None
        self._pubsub: Pubsub | None = None
        self._router: GossipSub | None = None
        self._rejects: dict[str, int] = {}
        self._delivered: dict[bytes, None] = {}
        self.stats = {"in": 0, "out": 0, "rejected": 0, "ignored": 0, "redials": 0}
        self._ready = trio.Event()

    # -- public API ------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        cfg = self.config
        install_guards(cfg.outbound_queue_size, cfg.subscription_buffer)
        noise = NoiseTransport(self._key_pair, noise_privkey=create_x25519_key_pair().private_key)
        # Noise only (the default also offers plaintext, secio and TLS), Yamux only.
        self._host = new_host(key_pair=self._key_pair, sec_opt={NOISE_PROTOCOL_ID: noise},
                              muxer_opt={YAMUX_PROTOCOL_ID: Yamux})
        # GossipSub v1.1 only. py-libp2p 0.8.1's v1.2 sends an IDONTWANT to every mesh peer for
        # every message it forwards, whatever its size (go-libp2p: only above 1 KiB), which doubles
        # the RPCs for our few-hundred-byte messages. Measured with 16 guardians on 2 cores: idle
        # CPU 86% -> 62% of a core, heartbeat delivery p50 370 -> 90 ms.
        self._router = GossipSub(
            [PROTOCOL_ID_V11], degree=cfg.degree, degree_low=cfg.degree_low,
            degree_high=cfg.degree_high, heartbeat_interval=cfg.heartbeat_interval,
            spam_protection_enabled=True,
            max_messages_per_topic_per_second=cfg.max_messages_per_topic_per_second,
            eclipse_protection_enabled=cfg.eclipse_protection)
        self._pubsub = Pubsub(self._host, self._router, strict_signing=True,
                              msg_id_constructor=lambda m: message_id(m.data))
        try:
            async with AsyncExitStack() as stack:
                await stack.enter_async_context(
                    self._host.run([multiaddr.Multiaddr(cfg.listen)]))
                await stack.enter_async_context(background_trio_service(self._pubsub))
                await stack.enter_async_context(background_trio_service(self._router))
                await self._pubsub.wait_until_ready()
                self._pubsub.set_topic_validator(cfg.topic, never_raising(self._validate), False)
                subscription = await self._pubsub.subscribe(cfg.topic)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._drain, subscription)
                    for addr in cfg.bootstrap:
                        nursery.start_soon(self._keep_connected, addr)
                    self._ready.set()
                    log.info("p2p: peer %s listening on %s", self.peer_id,
                             ", ".join(self.listen_addrs()))
                    task_status.started(self.listen_addrs())
                    await trio.sleep_forever()
        except RuntimeError as exc:
            # Defect 7: shutting down while messages arrive can raise this from library tasks.
            if "Nursery is closed to new arrivals" not in str(exc):
                raise
            log.debug("p2p: ignored shutdown race: %s", exc)
        finally:
            self._inbound_send.close()

    async def publish(self, data: bytes) -> None:
        if self._pubsub is None:
            raise RuntimeError("P2PService.run has not started")
        await self._pubsub.publish(self.config.topic, data)
        self.stats["out"] += 1

    def listen_addrs(self) -> list[str]:
        if self._host is None:
            return []
        return [str(a) for a in self._host.get_addrs()]

    def peer_count(self) -> int:
        return len(self._host.get_connected_peers()) if self._host else 0

    def mesh_peer_count(self) -> int:
        if self._router is None:
            return 0
        return len(self._router.mesh.get(self.config.topic, ()))

    async def wait_for_peers(self, count: int, mesh: bool = False) -> None:
        """Until `count` peers are connected (or in the mesh). Polls library state, which has
        no event to wait on."""
        await self._ready.wait()
        while (self.mesh_peer_count() if mesh else self.peer_count()) < count:
            await trio.sleep(0.05)

    def reject_counts(self) -> dict[str, int]:
        return dict(self._rejects)

    # -- internals -------------------------------------------------------------------------------
    def _validate(self, peer_id: ID, msg) -> bool:
        peer = peer_id.to_base58() if isinstance(peer_id, ID) else str(peer_id)
        verdict = self.validator(peer, bytes(msg.data))
        name = getattr(verdict, "name", str(verdict)).upper()
        if name == "ACCEPT":
            return True
        if name == "REJECT":
            self._rejects[peer] = self._rejects.get(peer, 0) + 1
            self.stats["rejected"] += 1
        else:
            self.stats["ignored"] += 1
        return False

    async def _drain(self, subscription) -> None:
        """Move accepted messages off the library's bounded subscription promptly (defect 9)."""
        while True:
            msg = await subscription.get()
            data = bytes(msg.data)
            mid = message_id(data)
            if mid in self._delivered:  # defect 5: async validation may deliver twice
                continue
            self._delivered[mid] = None
            if len(self._delivered) > 8192:
                self._delivered.pop(next(iter(self._delivered)))
            try:
                sender = ID(msg.from_id).to_base58()
            except Exception:  # noqa: BLE001 - the library checked the signature already
                sender = "?"
            self.stats["in"] += 1
            try:
                self._inbound_send.send_nowait((sender, data))
            except trio.WouldBlock:
                log.warning("p2p: inbound queue full; the application is not keeping up")
                await self._inbound_send.send((sender, data))

    async def _keep_connected(self, addr: str) -> None:
        """Dial a bootstrap peer and redial it whenever it is lost (defect 10)."""
        try:
            info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        except Exception as exc:  # noqa: BLE001 - a bad address is a config error
            log.error("p2p: bad bootstrap address %s: %s", addr, exc)
            return
        if info.peer_id.to_base58() == self.peer_id:
            return
        delay = self.config.redial_min_seconds
        while True:
            if info.peer_id not in self._host.get_connected_peers():
                try:
                    if "/dns" in addr:  # docker service names: resolve on every attempt
                        info = info_from_p2p_addr(multiaddr.Multiaddr(await _resolve(addr)))
                    with trio.fail_after(10):
                        await self._host.connect(info)
                    log.info("p2p: connected to %s", info.peer_id.to_base58())
                    delay = self.config.redial_min_seconds
                except Exception as exc:  # noqa: BLE001 - unreachable peers are normal
                    self.stats["redials"] += 1
                    log.debug("p2p: dial %s failed (%s); retry in %.1fs", addr, exc, delay)
                    await trio.sleep(delay)
                    delay = min(delay * 2, self.config.redial_max_seconds)
                    continue
            await trio.sleep(self.config.redial_min_seconds)  # watch the connection


async def _resolve(addr: str) -> str:
    """/dns4/<name>/tcp/... -> /ip4/<address>/tcp/... (a container's address can change)."""
    import socket

    parts = addr.split("/")
    name = parts[2]
    infos = await trio.to_thread.run_sync(
        lambda: socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM))
    parts[1], parts[2] = "ip4", infos[0][4][0]
    return "/".join(parts)
