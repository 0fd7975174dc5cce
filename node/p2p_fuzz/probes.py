"""Probes of a target: a fuzzing host of our own (a stock Noise + Yamux py-libp2p host), a ping
round trip, a fresh connection that answers, and the list of protocols the target speaks."""

from __future__ import annotations

import contextlib
import logging
import os

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
