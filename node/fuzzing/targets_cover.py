"""Fuzz targets for cover's untrusted input: BreachShare messages from peers, the cover gossip
rules on raw bytes, and the chain logs cover parses (pool creations, containments, transfers)."""

from __future__ import annotations

import json

from node.chain.decode import ChainError
from node.cover.chain import parse_engaged, parse_pool_created, parse_transfer
from node.fuzzing import fixtures
from node.fuzzing.harness import Target, require
from protocol import breach, cover_rules, cover_wire
from protocol.gossip_rules import Reason, Verdict
from protocol.wire import MessageError

POOL = b"\x50" * 20


def _confirmation(**over) -> breach.Confirmation:
    fields = dict(chain_id=fixtures.CHAIN_ID, pool=POOL, protocol_id=fixtures.PROTOCOL_ID,
                  nonce=0, loss=10**24, snapshot_block=fixtures.HEAD - 5, root=b"\x22" * 32,
                  deadline=fixtures.NOW + 3600)
    fields.update(over)
    return breach.Confirmation(**fields)


def breach_share(data: bytes) -> None:
    msg = cover_wire.decode(data, fixtures.keys().backend)
    require(cover_wire.encode(msg) == data, "a decoded BreachShare re-encodes to other bytes")


def cover_gossip(data: bytes) -> None:
    k = fixtures.keys()
    ctx = cover_rules.CoverContext(k.gset, fixtures.CHAIN_ID, fixtures.NOW, frozenset({POOL}),
                                   lambda pool, nonce: (True, _confirmation()))
    verdict, outcome, msg = cover_rules.validate_bytes(data, ctx, k.backend)
    require(outcome.reason is not Reason.INTERNAL, f"the validator failed: {outcome.detail}")
    require(msg is not None or verdict is Verdict.REJECT, "an undecodable share was not rejected")


def cover_log(data: bytes) -> None:
    try:
        entry = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ChainError("not JSON") from exc
    for parse in (parse_pool_created, parse_engaged, parse_transfer):
        parse(entry)


def seeds_shares() -> list[bytes]:
    k = fixtures.keys()
    out = []
    for index, c in ((1, _confirmation()), (2, _confirmation(loss=1)), (3, _confirmation(nonce=7))):
        partial = breach.partial_sign(k.sk(index), c.digest(), k.backend)
        msg = cover_wire.sign(cover_wire.BreachShare(c, partial, index, b""), k.sk(index), k.backend)
        out.append(cover_wire.encode(msg))
    return out


def seeds_logs() -> list[bytes]:
    from node.cover.chain import CONTAINMENT_TOPIC, POOL_CREATED_TOPIC, TRANSFER_TOPIC

    def log(topics, words):
        return json.dumps({"topics": ["0x" + t.hex() for t in topics],
                           "data": "0x" + b"".join(w.to_bytes(32, "big") for w in words).hex(),
                           "blockNumber": 12, "transactionIndex": 1, "logIndex": 2,
                           "transactionHash": "0x" + "ab" * 32}).encode()
    addr = (b"\x00" * 12) + POOL
    return [log((TRANSFER_TOPIC, addr, addr), (5,)),
            log((CONTAINMENT_TOPIC, fixtures.PROTOCOL_ID), (1, 0, 9, 7, 99, 1)),
            log((POOL_CREATED_TOPIC, fixtures.PROTOCOL_ID, addr, addr),
                (1, int.from_bytes(POOL, "big"), 10, 1, 3600, 86400))]


TARGETS = (
    Target("breach-share", "protocol.cover_wire.decode: a peer's breach confirmation share",
           breach_share, (MessageError,)),
    Target("cover-rules", "protocol.cover_rules.validate_bytes: the cover gossip validator "
           "(never raises, never fails internally)", cover_gossip, ()),
    Target("cover-log", "node.cover.chain parse_*: pool, containment and transfer logs from RPC",
           cover_log, (ChainError,)),
)
SEEDS = {"breach-share": seeds_shares, "cover-rules": seeds_shares, "cover-log": seeds_logs}
