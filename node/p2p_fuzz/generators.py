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

from node.p2p_fuzz.protobuf_wire import (
    MIB,
    blob,
    garbage_envelope,
    garbage_peer_id,
    garbage_text,
    ld,
    message,
    mutate,
    prefixed,
    rpc,
    sub,
    tag,
    uvarint,
    valid_rpc,
    vi,
)


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
        return uvarint(rng.randint(1 << 31, (1 << 64) - 1)) + blob(rng)
    if choice == 1:
        return b"\xff" * rng.randint(10, 64) + blob(rng)  # more than 64 bits of varint
    if choice == 2:
        return b"\x80" * rng.randint(1, 20) + b"\x00" + blob(rng)  # overlong zero
    if choice == 3:
        return uvarint(rng.randint(1 << 20, 1 << 30)) + blob(rng)
    return b"\xff" * 9 + b"\x01" + blob(rng)  # exactly 2^64-1


def gen_proto_wrong_wire_type(rng, ctx):
    """RPC fields 1-4 (and nested ones) with a wire type that does not match their declaration."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        field = rng.choice([1, 2, 3, 4, 6492434])
        wire = rng.choice([0, 1, 3, 4, 5, 6, 7])
        payload = {0: uvarint(rng.getrandbits(64)), 1: rng.randbytes(8), 5: rng.randbytes(4),
                   3: b"", 4: b"", 6: blob(rng, 0, 8), 7: blob(rng, 0, 8)}[wire]
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
            extra.append(ld(field, blob(rng, 0, 200)))
        elif wire == 3:  # start group, maybe never ended, maybe deeply nested
            depth = rng.choice([1, 2, 100, 200])
            extra.append(tag(field, 3) * depth + (tag(field, 4) * depth if rng.random() < 0.5 else b""))
        else:
            extra.append(tag(field, wire) + {0: uvarint(rng.getrandbits(63)), 1: rng.randbytes(8),
                                             4: b"", 5: rng.randbytes(4)}[wire])
    body = valid_rpc(rng, ctx)
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
    return prefixed(mutate(rng, valid_rpc(rng, ctx)))


def gen_proto_bad_utf8(rng, ctx):
    """Topic ids (proto `string`) carrying invalid UTF-8, in every place a topic id appears."""
    bad = b"\xc3\x28" + rng.randbytes(rng.randint(0, 16))
    where = rng.randrange(5)
    if where == 0:
        return prefixed(rpc(subs=ld(1, sub(True, bad))))
    if where == 1:
        msg = message(b"\x00\x01\x02", b"x", rng.randbytes(8), [bad], b"", b"")
        return prefixed(rpc(publish=ld(2, msg)))
    if where == 2:
        return prefixed(rpc(control=ld(3, ld(1, bad))))  # graft
    if where == 3:
        return prefixed(rpc(control=ld(1, ld(1, bad) + ld(2, rng.randbytes(20)))))  # ihave
    return prefixed(rpc(control=ld(4, ld(1, bad) + vi(3, 1))))  # prune


def gen_rpc_graft_prune_garbage(rng, ctx):
    ctrl = b""
    for _ in range(rng.randint(1, 50)):
        topic = garbage_text(rng) if rng.random() < 0.8 else ctx.topic.encode()
        if rng.random() < 0.5:
            ctrl += ld(3, ld(1, topic))
        else:
            ctrl += ld(4, ld(1, topic) + vi(3, rng.choice([0, 1, 2**32, 2**63, 2**64 - 1])))
    return prefixed(rpc(control=ctrl))


def gen_rpc_prune_px_garbage(rng, ctx):
    """PRUNE with peer exchange: garbage peer ids and signed peer records (defect 12's path)."""
    peers = b""
    for _ in range(rng.randint(1, 32)):
        info = ld(1, garbage_peer_id(rng))
        if rng.random() < 0.8:
            info += ld(2, garbage_envelope(rng))
        peers += ld(2, info)
    topic = ctx.topic.encode() if rng.random() < 0.6 else garbage_text(rng)
    prune = ld(1, topic) + peers + vi(3, rng.choice([0, 1, 60, 2**40]))
    # a GRAFT first, so that the PRUNE concerns a mesh peer
    return prefixed(rpc(subs=ld(1, sub(True, ctx.topic.encode())),
                         control=ld(3, ld(1, ctx.topic.encode())) + ld(4, prune)))


def gen_rpc_ihave_flood(rng, ctx):
    count = rng.choice([1000, 3000, 5000])
    ids = b"".join(ld(2, rng.randbytes(rng.choice([0, 1, 20, 64]))) for _ in range(count))
    topic = ctx.topic.encode() if rng.random() < 0.7 else garbage_text(rng)
    return prefixed(rpc(control=ld(1, ld(1, topic) + ids)))


def gen_rpc_iwant_storm(rng, ctx):
    iwants = b""
    for _ in range(rng.randint(1, 20)):
        ids = b"".join(ld(1, rng.randbytes(rng.choice([0, 20, 32]))) for _ in range(rng.randint(1, 500)))
        iwants += ld(2, ids)
    return prefixed(rpc(control=iwants))


def gen_rpc_idontwant_storm(rng, ctx):
    ids = b"".join(ld(1, rng.randbytes(rng.choice([0, 20, 32, 300]))) for _ in range(rng.randint(1, 3000)))
    return prefixed(rpc(control=ld(5, ids)))


def gen_rpc_extensions_garbage(rng, ctx):
    """ControlMessage fields 6-8 (extensions, observe, unobserve) with random contents."""
    ctrl = b"".join(ld(rng.choice([6, 7, 8]), blob(rng, 0, 100)) for _ in range(rng.randint(1, 10)))
    return prefixed(rpc(control=ctrl))


def gen_rpc_subscribe_flood(rng, ctx):
    count = rng.choice([100, 1000, 5000])
    subs = b"".join(ld(1, sub(rng.random() < 0.8, f"t{rng.getrandbits(40)}".encode()))
                    for _ in range(count))
    return prefixed(rpc(subs=subs))


def gen_rpc_publish_garbage(rng, ctx):
    """Messages on the target's own topic with garbage `from`, `key`, `signature`, `seqno`."""
    msgs = b""
    for _ in range(rng.randint(1, 4)):
        key = rng.choice([blob(rng, 0, 80), b"\x08\x02\x12\x21" + blob(rng, 0, 40),
                          b"\x08\x63\x12\x04abcd", b"\x08\x01\x12\x20" + rng.randbytes(32)])
        seqno = rng.choice([b"", rng.randbytes(8), blob(rng, 0, 40)])
        topics = [ctx.topic.encode()] + [garbage_text(rng) for _ in range(rng.randint(0, 2))]
        msgs += ld(2, message(garbage_peer_id(rng), blob(rng, 0, 300), seqno, topics,
                               blob(rng, 0, 100), key))
    return prefixed(rpc(subs=ld(1, sub(True, ctx.topic.encode())), publish=msgs))


def gen_rpc_sender_record_garbage(rng, ctx):
    return prefixed(rpc(subs=ld(1, sub(True, ctx.topic.encode())),
                         sender_record=garbage_envelope(rng)))


def gen_identify_garbage(rng, ctx):
    """An Identify message whose fields are all garbage (keys, multiaddrs, signed record)."""
    out = ld(1, rng.choice([blob(rng, 0, 80), b"\x08\x02\x12\x21" + blob(rng, 0, 40)]))
    out += b"".join(ld(2, blob(rng, 0, 40)) for _ in range(rng.randint(0, 20)))
    out += b"".join(ld(3, garbage_text(rng)[:200]) for _ in range(rng.randint(0, 20)))
    out += ld(4, blob(rng, 0, 40)) + ld(5, garbage_text(rng)[:100]) + ld(6, garbage_text(rng)[:100])
    if rng.random() < 0.7:
        out += ld(8, garbage_envelope(rng))
    if rng.random() < 0.3:
        out = mutate(rng, out)
    return prefixed(out) if rng.random() < 0.9 else out


def gen_ping_payloads(rng, ctx):
    return rng.randbytes(rng.choice([1, 31, 32, 33, 63, 64, 65, 32 * 100]))


def gen_frame_1mib(rng, ctx):
    """1 MiB frames: a varint-prefixed 1 MiB body (garbage or a valid publish), or raw 1 MiB."""
    choice = rng.randrange(3)
    if choice == 0:
        return prefixed(rng.randbytes(MIB))
    if choice == 1:
        msg = message(garbage_peer_id(rng), rng.randbytes(MIB - 200), rng.randbytes(8),
                       [ctx.topic.encode()], rng.randbytes(64), b"")
        return prefixed(rpc(publish=ld(2, msg)))
    return rng.randbytes(MIB)
