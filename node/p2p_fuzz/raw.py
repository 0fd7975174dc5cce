"""The layers below streams, one fresh TCP connection per frame:

    /raw/multistream   garbage instead of, or inside, multistream-select (plain TCP)
    /raw/noise         multistream-select of /noise done right, then a broken Noise XX handshake
    /raw/yamux         a real Noise handshake (the library's own classes) and /yamux/1.0.0
                       negotiated, then raw Yamux frames (12-byte headers) with garbage fields

Frames are seeded like the stream frames (`generators.frame_rng`).
"""

from __future__ import annotations

import contextlib
import os
import struct

import multiaddr
import trio

from node.p2p_fuzz.protobuf_wire import uvarint
from node.p2p_fuzz.schedule import frame_rng

MULTISTREAM = b"/multistream/1.0.0\n"
RAW_PROTOCOLS = ("/raw/multistream", "/raw/noise", "/raw/yamux")


def ms_line(text: bytes) -> bytes:
    return uvarint(len(text)) + text


def gen_multistream(rng) -> bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.randbytes(rng.randint(1, 200))
    if choice == 1:  # header, then a garbage protocol line
        return ms_line(MULTISTREAM) + ms_line(rng.randbytes(rng.randint(0, 300)))
    if choice == 2:  # huge declared line length
        return uvarint(rng.randint(1 << 16, 1 << 40)) + rng.randbytes(20)
    if choice == 3:  # protocol line without the newline / with NULs / `ls`
        return ms_line(MULTISTREAM) + ms_line(rng.choice([b"/noise", b"ls\n", b"\x00" * 10 + b"\n",
                                                          b"/noise\n" * 50]))
    if choice == 4:  # many proposals in a row
        return ms_line(MULTISTREAM) + b"".join(ms_line(b"/p%d\n" % i) for i in range(rng.randint(10, 500)))
    return b"\xff" * rng.randint(10, 64)  # a varint that never ends


def gen_noise(rng) -> bytes:
    """After /noise is agreed: Noise handshake messages are 2-byte big-endian length prefixed."""
    head = ms_line(MULTISTREAM) + ms_line(b"/noise\n")
    choice = rng.randrange(5)
    if choice == 0:
        return head + rng.randbytes(rng.randint(1, 300))
    if choice == 1:  # declared 65535, short body
        return head + b"\xff\xff" + rng.randbytes(rng.randint(0, 100))
    if choice == 2:  # a length-prefixed msg 1 of the wrong size
        body = rng.randbytes(rng.choice([0, 1, 31, 33, 64, 1000]))
        return head + struct.pack(">H", len(body)) + body
    if choice == 3:  # a plausible msg 1 (32-byte ephemeral key) and then garbage "msg 3"
        body = rng.randbytes(32)
        junk = rng.randbytes(rng.randint(0, 2000))
        return head + struct.pack(">H", 32) + body + struct.pack(">H", len(junk)) + junk
    return head + struct.pack(">H", 0)  # an empty handshake message


YAMUX_HEADER = struct.Struct(">BBHII")  # version, type, flags, stream id, length


def gen_yamux(rng) -> bytes:
    out = b""
    for _ in range(rng.randint(1, 20)):
        choice = rng.randrange(7)
        if choice == 0:  # fully random header and body
            ver, typ, flags = rng.randrange(256), rng.randrange(256), rng.getrandbits(16)
            length = rng.choice([0, 1, 100, 0xFFFFFFFF, rng.getrandbits(32)])
            out += YAMUX_HEADER.pack(ver, typ, flags, rng.getrandbits(32), length)
            out += rng.randbytes(min(length, rng.randint(0, 200)))
        elif choice == 1:  # data on a stream never opened, or claiming more than the window
            sid = rng.choice([0, 2, 4, rng.getrandbits(32)])
            length = rng.choice([10, 256 * 1024 + 1, 16 << 20])
            out += YAMUX_HEADER.pack(0, 0, 0, sid, length) + rng.randbytes(min(length, 4096))
        elif choice == 2:  # window update with a huge delta, or SYN with odd flags
            out += YAMUX_HEADER.pack(0, 1, rng.choice([1, 2, 4, 8, 15, 0xFFFF]),
                                     rng.choice([1, 3, 0, rng.getrandbits(32)]),
                                     rng.choice([0, 0xFFFFFFFF, 1 << 31]))
        elif choice == 3:  # ping flood / ping with stream id
            out += YAMUX_HEADER.pack(0, 2, rng.choice([1, 2, 0]), rng.getrandbits(32),
                                     rng.getrandbits(32)) * rng.randint(1, 100)
        elif choice == 4:  # go-away with garbage code
            out += YAMUX_HEADER.pack(0, 3, 0, 0, rng.getrandbits(32))
        elif choice == 5:  # open many streams (SYN) at once
            out += b"".join(YAMUX_HEADER.pack(0, 1, 1, 2 * i + 1, 0)
                            for i in range(rng.randint(10, 1000)))
        else:  # a truncated header
            out += rng.randbytes(rng.randint(1, 11))
    return out


async def _send_plain(host: str, port: int, data: bytes, wait: float) -> str:
    """-> sent | closed (the target closed or reset the connection) | refused."""
    try:
        stream = await trio.open_tcp_stream(host, port)
    except OSError:
        return "refused"
    outcome = "sent"
    try:
        with trio.move_on_after(wait):
            await stream.send_all(data)
            while await stream.receive_some(65536):
                pass
            outcome = "closed"
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        outcome = "closed"
    finally:
        with contextlib.suppress(Exception):
            await stream.aclose()
    return outcome


async def _send_yamux(addr: str, data: bytes, wait: float) -> str:
    """A real Noise session and Yamux negotiation through the library's own classes, then raw
    bytes into the muxer."""
    from libp2p.crypto.secp256k1 import create_new_key_pair
    from libp2p.crypto.x25519 import create_new_key_pair as x25519
    from libp2p.peer.peerinfo import info_from_p2p_addr
    from libp2p.protocol_muxer.multiselect_client import MultiselectClient
    from libp2p.protocol_muxer.multiselect_communicator import MultiselectCommunicator
    from libp2p.security.noise.transport import PROTOCOL_ID as NOISE
    from libp2p.security.noise.transport import Transport as NoiseTransport
    from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX
    from libp2p.transport.tcp.tcp import TCP
    from libp2p.transport.upgrader import TransportUpgrader

    info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
    kp = create_new_key_pair(os.urandom(32))
    upgrader = TransportUpgrader({NOISE: NoiseTransport(kp, noise_privkey=x25519().private_key)},
                                 {})
    try:
        with trio.fail_after(10):
            raw = await TCP().dial(info.addrs[0])
            secure = await upgrader.upgrade_security(raw, True, info.peer_id)
            await MultiselectClient().select_one_of([YAMUX], MultiselectCommunicator(secure))
    except Exception:  # noqa: BLE001
        return "refused"
    outcome = "sent"
    try:
        with trio.move_on_after(wait):
            await secure.write(data)
            while await secure.read(65536):
                pass
            outcome = "closed"
    except Exception:  # noqa: BLE001 - the target closing on us
        outcome = "closed"
    finally:
        with contextlib.suppress(Exception):
            await secure.close()
    return outcome


async def send_raw_frame(addr: str, protocol: str, seed: int, index: int,
                         wait: float = 0.02) -> tuple[str, int]:
    """Send frame `index` of raw layer `protocol`; -> (outcome, frame length)."""
    rng = frame_rng(seed, protocol, protocol, index)
    ma = multiaddr.Multiaddr(addr)
    host, port = ma.value_for_protocol("ip4"), int(ma.value_for_protocol("tcp"))
    if protocol == "/raw/multistream":
        data = gen_multistream(rng)
        return await _send_plain(host, port, data, wait), len(data)
    if protocol == "/raw/noise":
        data = gen_noise(rng)
        return await _send_plain(host, port, data, wait), len(data)
    if protocol == "/raw/yamux":
        data = gen_yamux(rng)
        return await _send_yamux(addr, data, wait), len(data)
    raise ValueError(f"unknown raw layer {protocol}")


def raw_frame_bytes(protocol: str, seed: int, index: int) -> bytes:
    rng = frame_rng(seed, protocol, protocol, index)
    return {"/raw/multistream": gen_multistream, "/raw/noise": gen_noise,
            "/raw/yamux": gen_yamux}[protocol](rng)
