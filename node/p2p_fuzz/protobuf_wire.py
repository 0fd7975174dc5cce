"""The pieces the frame generators are built from: a small protobuf wire encoder (so frames can
carry what the generated classes refuse to build: wrong wire types, unknown fields, invalid UTF-8,
overlong varints), the protocol kinds, and pubsub RPC builders."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

PUBSUB = "pubsub"  # /meshsub/*, /floodsub/*: varint-prefixed pubsub.pb.RPC frames
IDENTIFY = "identify"  # /ipfs/id/*: varint-prefixed Identify frames
PING = "ping"  # /ipfs/ping/1.0.0: 32-byte payloads, echoed
OTHER = "other"

MIB = 1 << 20


def protocol_kind(protocol: str) -> str:
    if protocol.startswith(("/meshsub/", "/floodsub/")):
        return PUBSUB
    if protocol.startswith("/ipfs/id/"):
        return IDENTIFY
    if protocol.startswith("/ipfs/ping/"):
        return PING
    return OTHER


# -- protobuf wire encoding --------------------------------------------------------------------
def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    return uvarint((field << 3) | wire_type)


def ld(field: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return tag(field, 2) + uvarint(len(payload)) + payload


def vi(field: int, value: int) -> bytes:
    return tag(field, 0) + uvarint(value)


def prefixed(payload: bytes) -> bytes:
    return uvarint(len(payload)) + payload


@dataclass(frozen=True)
class Context:
    """What generators may know about the target (its topic, for messages it will process)."""
    topic: str = "guardian-network/v1/incidents"


def blob(rng: random.Random, lo: int = 0, hi: int = 64) -> bytes:
    return rng.randbytes(rng.randint(lo, hi))


def garbage_text(rng: random.Random) -> bytes:
    """Bytes for a `string` field: empty, huge, invalid UTF-8, NULs, or plausible."""
    choice = rng.randrange(6)
    if choice == 0:
        return b""
    if choice == 1:
        return b"\xff\xfe\xc0\x80" + rng.randbytes(rng.randint(0, 32))  # invalid UTF-8
    if choice == 2:
        return b"\x00" * rng.randint(1, 64)
    if choice == 3:
        return rng.randbytes(rng.randint(1, 4096))
    if choice == 4:
        return ("t" * rng.randint(1, 20000)).encode()
    return f"topic-{rng.getrandbits(32)}".encode()


def garbage_peer_id(rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return b""
    if choice == 1:  # identity multihash of a garbage "public key"
        body = blob(rng, 0, 40)
        return b"\x00" + uvarint(len(body)) + body
    if choice == 2:  # sha2-256 multihash of nothing in particular (key must then come from `key`)
        return b"\x12\x20" + hashlib.sha256(rng.randbytes(8)).digest()
    if choice == 3:  # multihash header claiming more bytes than follow
        return b"\x12\xff\x01" + blob(rng, 0, 8)
    return blob(rng, 1, 80)


def garbage_envelope(rng: random.Random) -> bytes:
    """A libp2p signed envelope (public_key, payload_type, payload, signature), mostly broken."""
    choice = rng.randrange(4)
    if choice == 0:
        return blob(rng, 0, 200)
    pub = vi(1, rng.choice([0, 1, 2, 3, 99, 2**31])) + ld(2, blob(rng, 0, 70))
    record = ld(1, garbage_peer_id(rng)) + vi(2, rng.getrandbits(64)) + b"".join(
        ld(3, ld(1, blob(rng, 0, 30))) for _ in range(rng.randint(0, 4)))
    payload_type = rng.choice([b"\x03\x01", b"", blob(rng, 1, 8)])  # 0x0301: libp2p-peer-record
    env = ld(1, pub) + ld(2, payload_type) + ld(3, record) + ld(5, blob(rng, 0, 80))
    if choice == 2:
        env = mutate(rng, env)
    return env


def mutate(rng: random.Random, data: bytes, edits: int | None = None) -> bytes:
    buf = bytearray(data)
    for _ in range(edits if edits is not None else rng.randint(1, 8)):
        op = rng.randrange(4)
        if op == 0 and buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 1 and buf:
            del buf[rng.randrange(len(buf))]
        elif op == 2:
            buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
        elif buf:
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


# -- pubsub RPC pieces (field numbers of libp2p.pubsub.pb.rpc_pb2) -------------------------------
def sub(subscribe: bool, topic: bytes) -> bytes:  # RPC.SubOpts
    return vi(1, int(subscribe)) + ld(2, topic)


def message(from_id: bytes, data: bytes, seqno: bytes, topics: list[bytes], signature: bytes,
             key: bytes) -> bytes:
    out = ld(1, from_id) + ld(2, data) + ld(3, seqno)
    out += b"".join(ld(4, t) for t in topics)
    return out + ld(5, signature) + ld(6, key)


def rpc(subs: bytes = b"", publish: bytes = b"", control: bytes | None = None,
         sender_record: bytes | None = None) -> bytes:
    out = subs + publish
    if control is not None:
        out += ld(3, control)
    if sender_record is not None:
        out += ld(4, sender_record)
    return out


def valid_rpc(rng: random.Random, ctx: Context) -> bytes:
    """A well-formed RPC (built with the generated classes) to mutate or extend."""
    from libp2p.pubsub.pb import rpc_pb2

    rpc = rpc_pb2.RPC()
    for _ in range(rng.randint(0, 3)):
        rpc.subscriptions.add(subscribe=rng.random() < 0.5, topicid=ctx.topic)
    if rng.random() < 0.5:
        rpc.publish.add(from_id=garbage_peer_id(rng), data=blob(rng), seqno=rng.randbytes(8),
                        topicIDs=[ctx.topic], signature=blob(rng), key=blob(rng))
    if rng.random() < 0.5:
        ctrl = rpc.control
        ctrl.ihave.add(topicID=ctx.topic, messageIDs=[rng.randbytes(20)])
        ctrl.iwant.add(messageIDs=[rng.randbytes(20)])
        ctrl.graft.add(topicID=ctx.topic)
        ctrl.prune.add(topicID=ctx.topic, backoff=rng.randint(0, 120))
    return rpc.SerializeToString()


# -- generators ---------------------------------------------------------------------------------
# Each returns the full bytes to write on the stream.
