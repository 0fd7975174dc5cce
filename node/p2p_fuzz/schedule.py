"""The fuzzer's frame plan: every generator with the protocol kinds it targets, and the seeded,
reproducible schedule of (generator, index) frames per protocol. Frame `index` of generator `name`
for `protocol` under `seed` is always the same bytes (`frame_bytes`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from node.p2p_fuzz.generators import (
    gen_frame_1mib,
    gen_identify_garbage,
    gen_ping_payloads,
    gen_proto_bad_utf8,
    gen_proto_deep_nesting,
    gen_proto_mutated,
    gen_proto_unknown_fields,
    gen_proto_wrong_wire_type,
    gen_raw_bytes,
    gen_rpc_extensions_garbage,
    gen_rpc_graft_prune_garbage,
    gen_rpc_idontwant_storm,
    gen_rpc_ihave_flood,
    gen_rpc_iwant_storm,
    gen_rpc_prune_px_garbage,
    gen_rpc_publish_garbage,
    gen_rpc_sender_record_garbage,
    gen_rpc_subscribe_flood,
    gen_varint_huge,
    gen_varint_prefixed_bytes,
    gen_varint_truncated,
)
from node.p2p_fuzz.protobuf_wire import IDENTIFY, OTHER, PING, PUBSUB, Context, protocol_kind


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
