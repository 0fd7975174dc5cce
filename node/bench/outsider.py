"""A hostile libp2p peer for tests and benchmarks: a stock py-libp2p host (Noise, Yamux) with no
guards of ours, which writes whatever frames it is given on whatever protocol it names."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import multiaddr
import trio
from libp2p import new_host
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import PUBSUB_SIGNING_PREFIX
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux
from libp2p.utils import encode_varint_prefixed

MESHSUB = TProtocol("/meshsub/1.1.0")
# A length-delimited field 1 claiming 2^32 bytes: protobuf raises DecodeError (Truncated message).
DECODE_ERROR_FRAME = b"\x0a\xff\xff\xff\xff\x0f" + b"\x00" * 8


class Outsider:
    def __init__(self, host) -> None:
        self.host = host

    @property
    def peer_id(self) -> str:
        return self.host.get_id().to_base58()

    def addrs(self) -> list[str]:
        return [f"{a}/p2p/{self.peer_id}" for a in self.host.get_addrs()]

    async def connect(self, addr: str, timeout: float = 10.0) -> None:
        """Dial for real every time: an attacker ignores the library's negative dial cache,
        which would otherwise turn a redial after a refusal into a local error."""
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        unblock = getattr(self.host.get_network(), "unblock_peer", None)
        if unblock is not None:
            unblock(info.peer_id)
        with trio.fail_after(timeout):
            await self.host.connect(info)

    async def send_frames(self, addr: str, frames, protocol: str = MESHSUB,
                          prefixed: bool = True) -> None:
        """Open one stream to the peer at `addr` and write each frame (varint-length-prefixed
        unless told otherwise). Errors on our side (the peer reset the stream) are swallowed:
        the test looks at the target, not at us."""
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        try:
            with trio.fail_after(10):
                stream = await self.host.new_stream(info.peer_id, [TProtocol(protocol)])
                for frame in frames:
                    await stream.write(encode_varint_prefixed(frame) if prefixed else frame)
                await stream.close()
        except Exception:  # noqa: BLE001 - a refused or reset stream is the expected outcome
            pass

    def signed_message(self, topic: str, data: bytes, seqno: int = 1) -> rpc_pb2.Message:
        """A pubsub message exactly as a stock host publishes it (strict signing)."""
        msg = rpc_pb2.Message(data=data, topicIDs=[topic], from_id=self.host.get_id().to_bytes(),
                              seqno=seqno.to_bytes(8, "big"))
        msg.signature = self.host.get_private_key().sign(
            PUBSUB_SIGNING_PREFIX.encode() + msg.SerializeToString())
        msg.key = self.host.get_public_key().serialize()
        return msg

    async def send_rpc(self, addr: str, rpc: rpc_pb2.RPC) -> None:
        await self.send_frames(addr, [rpc.SerializeToString()])


@asynccontextmanager
async def outsider(listen: str = "/ip4/127.0.0.1/tcp/0", secret: bytes | None = None):
    key_pair = create_new_key_pair(secret or os.urandom(32))
    noise = NoiseTransport(key_pair, noise_privkey=create_x25519_key_pair().private_key)
    host = new_host(key_pair=key_pair, sec_opt={NOISE_PROTOCOL_ID: noise},
                    muxer_opt={YAMUX_PROTOCOL_ID: Yamux})
    async with host.run([multiaddr.Multiaddr(listen)]):
        try:
            yield Outsider(host)
        finally:  # close our connections (stopping the host leaves their sockets open)
            with trio.move_on_after(5) as scope:
                scope.shield = True
                for peer in list(host.get_connected_peers()):
                    try:
                        await host.disconnect(peer)
                    except Exception:  # noqa: BLE001 - already gone
                        pass
