"""Seeded, reproducible frame generators for the libp2p fuzzer.

A frame is the whole byte string written on one fresh stream after the protocol was negotiated.
Frame number `index` of generator `name` for protocol `protocol` under `seed` is always the same
bytes: each frame has its own `random.Random`, seeded from those four values, so any single frame
can be regenerated from a report line (see `frame_bytes`).

The protobuf frames are built with a small wire encoder instead of (only) the generated classes,
so that they can carry what the classes refuse to build: wrong wire types, unknown fields,
invalid UTF-8 in `string` fields, overlong varints.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
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


def _blob(rng: random.Random, lo: int = 0, hi: int = 64) -> bytes:
    return rng.randbytes(rng.randint(lo, hi))


def _garbage_text(rng: random.Random) -> bytes:
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


def _garbage_peer_id(rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return b""
    if choice == 1:  # identity multihash of a garbage "public key"
        body = _blob(rng, 0, 40)
        return b"\x00" + uvarint(len(body)) + body
    if choice == 2:  # sha2-256 multihash of nothing in particular (key must then come from `key`)
        return b"\x12\x20" + hashlib.sha256(rng.randbytes(8)).digest()
    if choice == 3:  # multihash header claiming more bytes than follow
        return b"\x12\xff\x01" + _blob(rng, 0, 8)
    return _blob(rng, 1, 80)


def _garbage_envelope(rng: random.Random) -> bytes:
    """A libp2p signed envelope (public_key, payload_type, payload, signature), mostly broken."""
    choice = rng.randrange(4)
    if choice == 0:
        return _blob(rng, 0, 200)
    pub = vi(1, rng.choice([0, 1, 2, 3, 99, 2**31])) + ld(2, _blob(rng, 0, 70))
    record = ld(1, _garbage_peer_id(rng)) + vi(2, rng.getrandbits(64)) + b"".join(
        ld(3, ld(1, _blob(rng, 0, 30))) for _ in range(rng.randint(0, 4)))
    payload_type = rng.choice([b"\x03\x01", b"", _blob(rng, 1, 8)])  # 0x0301: libp2p-peer-record
    env = ld(1, pub) + ld(2, payload_type) + ld(3, record) + ld(5, _blob(rng, 0, 80))
    if choice == 2:
        env = _mutate(rng, env)
    return env


def _mutate(rng: random.Random, data: bytes, edits: int | None = None) -> bytes:
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
def _sub(subscribe: bool, topic: bytes) -> bytes:  # RPC.SubOpts
    return vi(1, int(subscribe)) + ld(2, topic)


def _message(from_id: bytes, data: bytes, seqno: bytes, topics: list[bytes], signature: bytes,
             key: bytes) -> bytes:
    out = ld(1, from_id) + ld(2, data) + ld(3, seqno)
    out += b"".join(ld(4, t) for t in topics)
    return out + ld(5, signature) + ld(6, key)


def _rpc(subs: bytes = b"", publish: bytes = b"", control: bytes | None = None,
         sender_record: bytes | None = None) -> bytes:
    out = subs + publish
    if control is not None:
        out += ld(3, control)
    if sender_record is not None:
        out += ld(4, sender_record)
    return out


def _valid_rpc(rng: random.Random, ctx: Context) -> bytes:
    """A well-formed RPC (built with the generated classes) to mutate or extend."""
    from libp2p.pubsub.pb import rpc_pb2

    rpc = rpc_pb2.RPC()
    for _ in range(rng.randint(0, 3)):
        rpc.subscriptions.add(subscribe=rng.random() < 0.5, topicid=ctx.topic)
    if rng.random() < 0.5:
        rpc.publish.add(from_id=_garbage_peer_id(rng), data=_blob(rng), seqno=rng.randbytes(8),
                        topicIDs=[ctx.topic], signature=_blob(rng), key=_blob(rng))
    if rng.random() < 0.5:
        ctrl = rpc.control
        ctrl.ihave.add(topicID=ctx.topic, messageIDs=[rng.randbytes(20)])
        ctrl.iwant.add(messageIDs=[rng.randbytes(20)])
        ctrl.graft.add(topicID=ctx.topic)
        ctrl.prune.add(topicID=ctx.topic, backoff=rng.randint(0, 120))
    return rpc.SerializeToString()


# -- generators ---------------------------------------------------------------------------------
# Each returns the full bytes to write on the stream.

def gen_raw_bytes(rng, ctx):
    return rng.randbytes(rng.choice([0, 1, 2, 3, 7, 31, 32, 33, 64, 512, 4096]))


def gen_varint_prefixed_bytes(rng, ctx):
    return prefixed(rng.randbytes(rng.choice([0, 1, 2, 5, 32, 100, 1000, 10000])))


def gen_varint_truncated(rng, ctx):
    """Claims more bytes than it carries (the stream is then closed), or ends inside the varint."""
    if rng.random() < 0.3:
        return rng.choice([b"\x80", b"\xff\xff", b"\x80\x80\x80"])
    body = rng.randbytes(rng.randint(0, 300))
    return uvarint(len(body) + rng.randint(1, 1 << 16)) + body


def gen_varint_huge(rng, ctx):
    """Lengths of 2^31..2^64-1, overlong encodings, and varints that never terminate."""
    choice = rng.randrange(5)
    if choice == 0:
        return uvarint(rng.randint(1 << 31, (1 << 64) - 1)) + _blob(rng)
    if choice == 1:
        return b"\xff" * rng.randint(10, 64) + _blob(rng)  # more than 64 bits of varint
    if choice == 2:
        return b"\x80" * rng.randint(1, 20) + b"\x00" + _blob(rng)  # overlong zero
    if choice == 3:
        return uvarint(rng.randint(1 << 20, 1 << 30)) + _blob(rng)
    return b"\xff" * 9 + b"\x01" + _blob(rng)  # exactly 2^64-1


def gen_proto_wrong_wire_type(rng, ctx):
    """RPC fields 1-4 (and nested ones) with a wire type that does not match their declaration."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        field = rng.choice([1, 2, 3, 4, 6492434])
        wire = rng.choice([0, 1, 3, 4, 5, 6, 7])
        payload = {0: uvarint(rng.getrandbits(64)), 1: rng.randbytes(8), 5: rng.randbytes(4),
                   3: b"", 4: b"", 6: _blob(rng, 0, 8), 7: _blob(rng, 0, 8)}[wire]
        parts.append(tag(field, wire) + payload)
    if rng.random() < 0.5:  # a correctly typed submessage with wrongly typed inner fields
        inner = tag(rng.choice([1, 2, 3, 4]), rng.choice([0, 1, 5])) + rng.randbytes(8)
        parts.append(ld(rng.choice([1, 2, 3]), inner))
    return prefixed(b"".join(parts))


def gen_proto_unknown_fields(rng, ctx):
    """A valid RPC plus unknown fields of every wire type, unbalanced groups, reserved numbers."""
    extra = []
    for _ in range(rng.randint(1, 8)):
        field = rng.choice([5, 7, 15, 16, 1000, 19000, 19999, (1 << 29) - 1, rng.randint(5, 1 << 20)])
        wire = rng.choice([0, 1, 2, 3, 4, 5])
        if wire == 2:
            extra.append(ld(field, _blob(rng, 0, 200)))
        elif wire == 3:  # start group, maybe never ended, maybe deeply nested
            depth = rng.choice([1, 2, 100, 200])
            extra.append(tag(field, 3) * depth + (tag(field, 4) * depth if rng.random() < 0.5 else b""))
        else:
            extra.append(tag(field, wire) + {0: uvarint(rng.getrandbits(63)), 1: rng.randbytes(8),
                                             4: b"", 5: rng.randbytes(4)}[wire])
    body = _valid_rpc(rng, ctx)
    pieces = [body] + extra
    rng.shuffle(pieces)
    return prefixed(b"".join(pieces))


def gen_proto_deep_nesting(rng, ctx):
    """Nested length-delimited submessages deeper than the parser's recursion limit."""
    depth = rng.choice([50, 100, 101, 200, 1000])
    inner = b""
    for _ in range(depth):
        inner = ld(3, ld(4, inner))  # control.prune...: mis-typed after the first level
    return prefixed(inner)


def gen_proto_mutated(rng, ctx):
    return prefixed(_mutate(rng, _valid_rpc(rng, ctx)))


def gen_proto_bad_utf8(rng, ctx):
    """Topic ids (proto `string`) carrying invalid UTF-8, in every place a topic id appears."""
    bad = b"\xc3\x28" + rng.randbytes(rng.randint(0, 16))
    where = rng.randrange(5)
    if where == 0:
        return prefixed(_rpc(subs=ld(1, _sub(True, bad))))
    if where == 1:
        msg = _message(b"\x00\x01\x02", b"x", rng.randbytes(8), [bad], b"", b"")
        return prefixed(_rpc(publish=ld(2, msg)))
    if where == 2:
        return prefixed(_rpc(control=ld(3, ld(1, bad))))  # graft
    if where == 3:
        return prefixed(_rpc(control=ld(1, ld(1, bad) + ld(2, rng.randbytes(20)))))  # ihave
    return prefixed(_rpc(control=ld(4, ld(1, bad) + vi(3, 1))))  # prune


def gen_rpc_graft_prune_garbage(rng, ctx):
    ctrl = b""
    for _ in range(rng.randint(1, 50)):
        topic = _garbage_text(rng) if rng.random() < 0.8 else ctx.topic.encode()
        if rng.random() < 0.5:
            ctrl += ld(3, ld(1, topic))
        else:
            ctrl += ld(4, ld(1, topic) + vi(3, rng.choice([0, 1, 2**32, 2**63, 2**64 - 1])))
    return prefixed(_rpc(control=ctrl))


def gen_rpc_prune_px_garbage(rng, ctx):
    """PRUNE with peer exchange: garbage peer ids and signed peer records (defect 12's path)."""
    peers = b""
    for _ in range(rng.randint(1, 32)):
        info = ld(1, _garbage_peer_id(rng))
        if rng.random() < 0.8:
            info += ld(2, _garbage_envelope(rng))
        peers += ld(2, info)
    topic = ctx.topic.encode() if rng.random() < 0.6 else _garbage_text(rng)
    prune = ld(1, topic) + peers + vi(3, rng.choice([0, 1, 60, 2**40]))
    # a GRAFT first, so that the PRUNE concerns a mesh peer
    return prefixed(_rpc(subs=ld(1, _sub(True, ctx.topic.encode())),
                         control=ld(3, ld(1, ctx.topic.encode())) + ld(4, prune)))


def gen_rpc_ihave_flood(rng, ctx):
    count = rng.choice([1000, 3000, 5000])
    ids = b"".join(ld(2, rng.randbytes(rng.choice([0, 1, 20, 64]))) for _ in range(count))
    topic = ctx.topic.encode() if rng.random() < 0.7 else _garbage_text(rng)
    return prefixed(_rpc(control=ld(1, ld(1, topic) + ids)))


def gen_rpc_iwant_storm(rng, ctx):
    iwants = b""
    for _ in range(rng.randint(1, 20)):
        ids = b"".join(ld(1, rng.randbytes(rng.choice([0, 20, 32]))) for _ in range(rng.randint(1, 500)))
        iwants += ld(2, ids)
    return prefixed(_rpc(control=iwants))


def gen_rpc_idontwant_storm(rng, ctx):
    ids = b"".join(ld(1, rng.randbytes(rng.choice([0, 20, 32, 300]))) for _ in range(rng.randint(1, 3000)))
    return prefixed(_rpc(control=ld(5, ids)))


def gen_rpc_extensions_garbage(rng, ctx):
    """ControlMessage fields 6-8 (extensions, observe, unobserve) with random contents."""
    ctrl = b"".join(ld(rng.choice([6, 7, 8]), _blob(rng, 0, 100)) for _ in range(rng.randint(1, 10)))
    return prefixed(_rpc(control=ctrl))


def gen_rpc_subscribe_flood(rng, ctx):
    count = rng.choice([100, 1000, 5000])
    subs = b"".join(ld(1, _sub(rng.random() < 0.8, f"t{rng.getrandbits(40)}".encode()))
                    for _ in range(count))
    return prefixed(_rpc(subs=subs))


def gen_rpc_publish_garbage(rng, ctx):
    """Messages on the target's own topic with garbage `from`, `key`, `signature`, `seqno`."""
    msgs = b""
    for _ in range(rng.randint(1, 4)):
        key = rng.choice([_blob(rng, 0, 80), b"\x08\x02\x12\x21" + _blob(rng, 0, 40),
                          b"\x08\x63\x12\x04abcd", b"\x08\x01\x12\x20" + rng.randbytes(32)])
        seqno = rng.choice([b"", rng.randbytes(8), _blob(rng, 0, 40)])
        topics = [ctx.topic.encode()] + [_garbage_text(rng) for _ in range(rng.randint(0, 2))]
        msgs += ld(2, _message(_garbage_peer_id(rng), _blob(rng, 0, 300), seqno, topics,
                               _blob(rng, 0, 100), key))
    return prefixed(_rpc(subs=ld(1, _sub(True, ctx.topic.encode())), publish=msgs))


def gen_rpc_sender_record_garbage(rng, ctx):
    return prefixed(_rpc(subs=ld(1, _sub(True, ctx.topic.encode())),
                         sender_record=_garbage_envelope(rng)))


def gen_identify_garbage(rng, ctx):
    """An Identify message whose fields are all garbage (keys, multiaddrs, signed record)."""
    out = ld(1, rng.choice([_blob(rng, 0, 80), b"\x08\x02\x12\x21" + _blob(rng, 0, 40)]))
    out += b"".join(ld(2, _blob(rng, 0, 40)) for _ in range(rng.randint(0, 20)))
    out += b"".join(ld(3, _garbage_text(rng)[:200]) for _ in range(rng.randint(0, 20)))
    out += ld(4, _blob(rng, 0, 40)) + ld(5, _garbage_text(rng)[:100]) + ld(6, _garbage_text(rng)[:100])
    if rng.random() < 0.7:
        out += ld(8, _garbage_envelope(rng))
    if rng.random() < 0.3:
        out = _mutate(rng, out)
    return prefixed(out) if rng.random() < 0.9 else out


def gen_ping_payloads(rng, ctx):
    return rng.randbytes(rng.choice([1, 31, 32, 33, 63, 64, 65, 32 * 100]))


def gen_frame_1mib(rng, ctx):
    """1 MiB frames: a varint-prefixed 1 MiB body (garbage or a valid publish), or raw 1 MiB."""
    choice = rng.randrange(3)
    if choice == 0:
        return prefixed(rng.randbytes(MIB))
    if choice == 1:
        msg = _message(_garbage_peer_id(rng), rng.randbytes(MIB - 200), rng.randbytes(8),
                       [ctx.topic.encode()], rng.randbytes(64), b"")
        return prefixed(_rpc(publish=ld(2, msg)))
    return rng.randbytes(MIB)


@dataclass(frozen=True)
class Generator:
    name: str
    kinds: frozenset[str]  # protocol kinds it targets
    fn: Callable[[random.Random, Context], bytes]
    big: bool = False  # 1 MiB frames: counted separately (`big_frames`)


_ALL = frozenset({PUBSUB, IDENTIFY, PING, OTHER})
_PROTO = frozenset({PUBSUB, IDENTIFY, OTHER})
_PS = frozenset({PUBSUB})

GENERATORS: tuple[Generator, ...] = (
    Generator("raw_bytes", _ALL, gen_raw_bytes),
    Generator("varint_prefixed_bytes", _ALL, gen_varint_prefixed_bytes),
    Generator("varint_truncated", _ALL, gen_varint_truncated),
    Generator("varint_huge", _ALL, gen_varint_huge),
    Generator("proto_wrong_wire_type", _PROTO, gen_proto_wrong_wire_type),
    Generator("proto_unknown_fields", _PROTO, gen_proto_unknown_fields),
    Generator("proto_deep_nesting", _PROTO, gen_proto_deep_nesting),
    Generator("proto_mutated", _PROTO, gen_proto_mutated),
    Generator("proto_bad_utf8", _PROTO, gen_proto_bad_utf8),
    Generator("rpc_graft_prune_garbage", _PS, gen_rpc_graft_prune_garbage),
    Generator("rpc_prune_px_garbage", _PS, gen_rpc_prune_px_garbage),
    Generator("rpc_ihave_flood", _PS, gen_rpc_ihave_flood),
    Generator("rpc_iwant_storm", _PS, gen_rpc_iwant_storm),
    Generator("rpc_idontwant_storm", _PS, gen_rpc_idontwant_storm),
    Generator("rpc_extensions_garbage", _PS, gen_rpc_extensions_garbage),
    Generator("rpc_subscribe_flood", _PS, gen_rpc_subscribe_flood),
    Generator("rpc_publish_garbage", _PS, gen_rpc_publish_garbage),
    Generator("rpc_sender_record_garbage", _PS, gen_rpc_sender_record_garbage),
    Generator("identify_garbage", frozenset({IDENTIFY}), gen_identify_garbage),
    Generator("ping_payloads", frozenset({PING}), gen_ping_payloads),
    Generator("frame_1mib", _ALL, gen_frame_1mib, big=True),
)
BY_NAME = {g.name: g for g in GENERATORS}


def generators_for(protocol: str, names: list[str] | None = None) -> list[Generator]:
    kind = protocol_kind(protocol)
    gens = [g for g in GENERATORS if kind in g.kinds]
    if names is not None:
        gens = [g for g in gens if g.name in names]
    return gens


def frame_rng(seed: int, protocol: str, generator: str, index: int) -> random.Random:
    return random.Random(f"{seed}|{protocol}|{generator}|{index}")


def frame_bytes(seed: int, protocol: str, generator: str, index: int,
                ctx: Context | None = None) -> bytes:
    """Regenerate one frame exactly (a report names seed, protocol, generator and index)."""
    return BY_NAME[generator].fn(frame_rng(seed, protocol, generator, index), ctx or Context())


def schedule(protocol: str, frames: int, big_frames: int, names: list[str] | None = None
             ) -> list[tuple[str, int]]:
    """The (generator, index) pairs for one protocol: `frames` small frames round-robin over the
    applicable generators, then `big_frames` 1 MiB frames."""
    gens = generators_for(protocol, names)
    small = [g for g in gens if not g.big]
    big = [g for g in gens if g.big]
    out: list[tuple[str, int]] = []
    counters: dict[str, int] = {}
    for i in range(frames if small else 0):
        g = small[i % len(small)]
        out.append((g.name, counters.setdefault(g.name, 0)))
        counters[g.name] += 1
    for i in range(big_frames if big else 0):
        g = big[i % len(big)]
        out.append((g.name, counters.setdefault(g.name, 0)))
        counters[g.name] += 1
    return out
