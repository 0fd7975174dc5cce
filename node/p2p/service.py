"""P2PService: one libp2p host, one GossipSub topic, messages in and out as plain bytes.

    publish(data) ──> gossipsub ──> peers
    publish(data, flood=True) ──> direct links to every connected member (node.p2p.direct),
                                  gossipsub too when a member or an observer is not reached
    peers ──> connection gate (members; outsiders per policy; bans)
          ──> per-peer admission (rate limit, observers read-only, remembered rejections)
          ──> signature check (guarded) ──> validator(peer, data) ──> inbound (ACCEPT only)

The validator is the application's (the gossip rules of `protocol.gossip_rules`); it returns a
verdict whose name is ACCEPT, IGNORE or REJECT, optionally with a reason: `(verdict, reason)`. An
optional link validator judges direct frames first, returning None to leave one to the validator.
REJECTs and faults are charged to the forwarding peer in the `PeerLedger`, which bans and
disconnects offenders; so are IGNOREs past a peer's budget and the py-libp2p log lines a peer
causes (`node.p2p.library_log` routes them here; `node.p2p.policy` charges them). Logging of all
of it is bounded. Message ids are content addressed (`protocol.gossip_rules.message_id`), so the
same guardian message arriving twice, also after a restart, is delivered once; the application
deduplicates again (async validation can deliver twice). Lost bootstrap peers are redialed with
exponential backoff, forever. If a library service dies despite the guards (`node.p2p.guards`),
the host is rebuilt and the service says so.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

import multiaddr
import trio
from libp2p import new_host
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.tools.anyio_service import background_trio_service

from node.p2p import library_log
from node.p2p.config import P2PConfig
from node.p2p.delivery import Delivery
from node.p2p.dialer import keep_connected
from node.p2p.direct import DirectLinks
from node.p2p.guards import (
    GuardedYamux,
    disable_auto_dial,
    gate_security,
    guard_inbound_connections,
    guard_push_msg,
    guard_stream_handler,
    install_guards,
    is_shutdown_race,
    never_raising,
)
from node.p2p.handshakes import HandshakeThrottle, bootstrap_addresses
from node.p2p.identity import key_pair
from node.p2p.inbound_slots import release_inbound_slots
from node.p2p.peers import PeerLedger
from node.p2p.ping import install_bounded_ping
from node.p2p.policy import PeerPolicy
from node.p2p.router import GuardianGossipSub
from node.p2p.seen import RejectionAwareSeenCache
from node.p2p.upkeep import upkeep
from protocol.gossip_rules import message_id

log = logging.getLogger("guardian.p2p")
SWEEP_SECONDS = 0.5


class P2PService(PeerPolicy, Delivery):
    def __init__(self, config: P2PConfig, identity_key: bytes, validator,
                 link_validator=None) -> None:
        self.config, self.validator, self.link_validator = config, validator, link_validator
        self._key_pair = key_pair(identity_key)
        self.peer_id = ID.from_pubkey(self._key_pair.public_key).to_base58()
        self.ledger = PeerLedger(frozenset(config.members), config.outsiders, config.limits)
        self.handshakes = HandshakeThrottle(config.handshakes,
                                            protected=bootstrap_addresses(config.bootstrap))
        self._inbound_send, self.inbound = trio.open_memory_channel[tuple[str, bytes]](
            config.inbound_buffer)
        self._host = None
        self._pubsub: Pubsub | None = None
        self._router: GuardianGossipSub | None = None
        self._rejected: RejectionAwareSeenCache | None = None
        self._delivered: dict[bytes, None] = {}
        self._link_only: dict[bytes, None] = {}  # delivered on a link's authentication only
        self._judge_safely = never_raising(self._judge)  # for direct frames (node.p2p.delivery)
        self._direct: DirectLinks | None = None
        self.stats = {"in": 0, "out": 0, "rejected": 0, "ignored": 0, "validated": 0,
                      "faults": 0, "redials": 0, "restarts": 0, "library_lines": 0,
                      "direct_out": 0, "direct_in": 0, "direct_failed": 0, "gossiped": 0}
        self._ready = trio.Event()

    # -- public API ------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run the host until cancelled. A library failure the guards did not catch rebuilds the
        host after `restart_delay_seconds` (logged as an error); the inbound channel survives."""
        if self.ledger.knows_members and self.peer_id not in self.ledger.members:
            log.warning("p2p: our own peer id %s is not in the guardian set's peer ids",
                        self.peer_id)
        if not self.ledger.knows_members:
            log.warning("p2p: the guardian set names no peer ids; every peer is treated as a "
                        "member (outsiders cannot be told apart)")
        sink = library_log.service_sink.set(self._library_line)  # our tasks' libp2p lines
        try:
            while True:
                try:
                    await self._run_once(task_status)
                    return
                except Exception as exc:  # noqa: BLE001 - the last line of defence
                    if is_shutdown_race(exc):
                        log.debug("p2p: ignored shutdown race: %s", exc)
                        return
                    self.stats["restarts"] += 1
                    log.error("p2p: the libp2p host failed (%s: %s); restarting it in %.1f s",
                              type(exc).__name__, exc, self.config.restart_delay_seconds)
                    task_status = trio.TASK_STATUS_IGNORED if self._ready.is_set() else task_status
                    await trio.sleep(self.config.restart_delay_seconds)
        finally:
            library_log.service_sink.reset(sink)
            self._inbound_send.close()

    async def publish(self, data: bytes, *, flood: bool = False) -> None:
        """Publish our message. With `flood`, it goes to every connected member over its direct
        link (node.p2p.direct), and on the topic too only if that leaves someone out: a member not
        connected to us, or an observer following the topic; on the topic it then goes to every
        connected member, not only the mesh. Publishing the same bytes again sends them again:
        the library would drop them as already seen for two minutes, which defeats re-gossip of
        a share that some peers never got (peers that did get it drop the copy as a duplicate)."""
        if self._pubsub is None:
            raise RuntimeError("P2PService.run has not started")
        self.stats["out"] += 1
        if flood and self._direct is not None and self.config.direct:
            connected = set(self.connected_peers()) - {self.peer_id}
            members = {p for p in connected if self._direct_member(p)}
            reached = self._direct.send(data, members)
            # a banned member is not owed our messages: it is not someone the links left out
            everyone = {p for p in self.ledger.members - {self.peer_id}
                        if not self.ledger.is_banned(p)}
            observers = {p for p in connected if not self.ledger.is_member(p)}
            if self.ledger.knows_members and reached >= everyone and not observers:
                return
        await self._gossip(data, flood)

    async def _gossip(self, data: bytes, flood: bool = True) -> None:
        if self._pubsub is None:
            return
        if self._rejected is not None:
            self._rejected.forget_seen(message_id(data))
        if flood and self._router is not None:
            self._router.flood_next(message_id(data))
        self.stats["gossiped"] += 1
        await self._pubsub.publish(self.config.topic, data)

    def listen_addrs(self) -> list[str]:
        return [str(a) for a in self._host.get_addrs()] if self._host else []

    def peer_count(self) -> int:
        return len(self._host.get_connected_peers()) if self._host else 0

    def mesh_peer_count(self) -> int:
        if self._router is None:
            return 0
        return len(self._router.mesh.get(self.config.topic, ()))

    def connected_peers(self) -> list[str]:
        return [p.to_base58() for p in self._host.get_connected_peers()] if self._host else []

    async def wait_for_peers(self, count: int, mesh: bool = False) -> None:
        """Until `count` peers are connected (or in the mesh). Polls library state, which has
        no event to wait on."""
        await self._ready.wait()
        while (self.mesh_peer_count() if mesh else self.peer_count()) < count:
            await trio.sleep(0.05)

    def peer_report(self, top: int = 10) -> dict:
        """Totals and the top offenders (bounded, whatever the number of peers seen)."""
        return {**self.ledger.report(top), **self.handshakes.report(),
                "library_lines_seen": self.stats["library_lines"],
                "remembered_rejections": len(self._rejected or ()),
                "restarts": self.stats["restarts"], "validated": self.stats["validated"],
                **{k: self.stats[k] for k in ("direct_out", "direct_in", "direct_failed",
                                              "gossiped")}}

    # -- the host --------------------------------------------------------------------------------
    async def _run_once(self, task_status) -> None:
        cfg = self.config
        install_guards(cfg.outbound_queue_size, cfg.subscription_buffer, self._fault)
        library_log.install(self._library_line)
        noise = NoiseTransport(self._key_pair, noise_privkey=create_x25519_key_pair().private_key)
        # Noise only (the default also offers plaintext, secio and TLS), Yamux only (guarded).
        self._host = new_host(key_pair=self._key_pair, sec_opt={NOISE_PROTOCOL_ID: noise},
                              muxer_opt={YAMUX_PROTOCOL_ID: GuardedYamux})
        swarm = self._host.get_network()
        guard_stream_handler(swarm, self._fault)
        guard_inbound_connections(swarm, self._fault, self.handshakes.admit)
        gate_security(swarm.upgrader, self._admit_connection, self._fault, self._refused_address)
        disable_auto_dial(swarm)
        self._direct = DirectLinks(self._host, is_member=self._direct_member,
                                   receive=self._direct_in, on_fault=self._fault,
                                   on_undelivered=self._gossip, max_frame=cfg.max_rpc_bytes,
                                   stats=self.stats)
        release_inbound_slots(swarm)
        install_bounded_ping(self._host, self._fault)
        # GossipSub v1.1 only. py-libp2p 0.8.1's v1.2 sends an IDONTWANT to every mesh peer for
        # every message it forwards, whatever its size (go-libp2p: only above 1 KiB), which doubles
        # the RPCs for our few-hundred-byte messages. Measured with 16 guardians on 2 cores: idle
        # CPU 86% -> 62% of a core, heartbeat delivery p50 370 -> 90 ms.
        self._router = GuardianGossipSub(
            [PROTOCOL_ID_V11], degree=cfg.degree, degree_low=cfg.degree_low,
            degree_high=cfg.degree_high, heartbeat_interval=cfg.heartbeat_interval,
            spam_protection_enabled=True,
            max_messages_per_topic_per_second=cfg.max_messages_per_topic_per_second,
            eclipse_protection_enabled=cfg.eclipse_protection, do_px=False, ledger=self.ledger,
            flood_publish=cfg.flood_publish)
        self._pubsub = Pubsub(self._host, self._router, strict_signing=True,
                              msg_id_constructor=lambda m: message_id(m.data),
                              max_inbound_rpc_size=cfg.max_rpc_bytes,
                              allowed_topics=frozenset({cfg.topic}))
        self._rejected = RejectionAwareSeenCache(self._pubsub.seen_messages)
        self._pubsub.seen_messages = self._rejected
        guard_push_msg(self._pubsub, self._admit_message, self._fault)
        try:
            await self._serve(task_status)
        except Exception:
            # Close the failed host's connections, or peers keep writing into its dead streams
            # after we come back with a new host under the same peer id.
            with trio.move_on_after(5) as scope:
                scope.shield = True
                try:
                    await self._host.close()
                except Exception as exc:  # noqa: BLE001 - best effort on a broken host
                    log.debug("p2p: closing the failed host: %s", exc)
            raise

    async def _serve(self, task_status) -> None:
        cfg = self.config
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(self._host.run([multiaddr.Multiaddr(cfg.listen)]))
            await stack.enter_async_context(background_trio_service(self._pubsub))
            await stack.enter_async_context(background_trio_service(self._router))
            await self._pubsub.wait_until_ready()
            self._pubsub.set_topic_validator(cfg.topic, never_raising(self._validate), False)
            subscription = await self._pubsub.subscribe(cfg.topic)
            async with trio.open_nursery() as nursery:
                await nursery.start(self._direct.run)
                nursery.start_soon(self._drain, subscription)
                nursery.start_soon(self._sweep)
                for addr in cfg.bootstrap:
                    nursery.start_soon(keep_connected, self._host, self.peer_id, addr, cfg,
                                       self.stats)
                self._ready.set()
                log.info("p2p: peer %s listening on %s (outsiders: %s)", self.peer_id,
                         ", ".join(self.listen_addrs()), cfg.outsiders)
                task_status.started(self.listen_addrs())
                await trio.sleep_forever()

    async def _sweep(self) -> None:
        while True:
            await upkeep(self._host, self.ledger, {"swarm": self._host.get_network(),
                                                   "pubsub": self._pubsub, "router": self._router})
            if self.config.direct and self._direct is not None:
                self._direct.keep({p for p in self.connected_peers()
                                   if p != self.peer_id and self._direct_member(p)})
            await trio.sleep(SWEEP_SECONDS)

    # -- internals -------------------------------------------------------------------------------
    def _validate(self, peer_id: ID, msg) -> bool:
        peer = peer_id.to_base58() if isinstance(peer_id, ID) else str(peer_id)
        data = bytes(msg.data)
        mid = message_id(data)
        if mid in self._delivered and mid not in self._link_only:
            return True  # it came over a direct link, checked in full: forward it as is
        return self._judge(peer, data)

    def _judge(self, peer: str, data: bytes, result=None) -> bool:
        """The validator's verdict on a message from `peer` (topic or direct link), or the given
        one (node.p2p.delivery: the link validator's), with the charges it carries."""
        self.stats["validated"] += 1
        result = self.validator(peer, data) if result is None else result
        verdict, reason = result if isinstance(result, tuple) else (result, "")
        name = getattr(verdict, "name", str(verdict)).upper()
        if name == "ACCEPT":
            return True
        if name == "REJECT":
            self.stats["rejected"] += 1
            if self._rejected is not None:
                self._rejected.reject(message_id(data))
            what = f"rejected message: {reason or 'invalid'}"
            if peer != self.peer_id:
                self._charge(peer, self.ledger.on_reject(peer, what), what)
        else:
            self.stats["ignored"] += 1
            if peer != self.peer_id:
                what = f"ignored message: {reason or 'ignored'}"
                over_budget, banned = self.ledger.on_ignore(peer, what)
                if over_budget:
                    self._charge(peer, banned, f"{what} (over its IGNORE budget)")
        return False
