"""What cover reads from the chain: pools (the factory's events), containments (the oracle's
events), ERC-20 transfers, and from them the facts of `protocol.cover_loss`.

Every value is decoded strictly (`node.chain.decode`): a malformed RPC answer is a `ChainError`,
never a crash and never a confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.rpc import ChainRpc
from protocol.cover_loss import BreachFacts, Position, Transfer, breach_facts

TRANSFER_TOPIC = keccak(b"Transfer(address,address,uint256)")
CONTAINMENT_TOPIC = keccak(b"ContainmentEngaged(bytes32,uint8,uint64,uint64,bytes32,uint64,bool)")
POOL_CREATED_TOPIC = keccak(
    b"CoverPoolCreated(bytes32,address,address,(bytes32,address,uint256,uint256,uint64,uint64))")
TOTAL_SUPPLY = keccak(b"totalSupply()")[:4]
MAX_LOG_SPAN = 10_000  # blocks per eth_getLogs request


@dataclass(frozen=True)
class PoolInfo:
    address: bytes
    protocol_id: bytes
    asset: bytes
    claims_token: bytes
    max_payout: int
    deductible: int
    confirmation_window: int
    claim_period: int
    created_block: int


@dataclass(frozen=True)
class Engaged:
    """One ContainmentEngaged event."""

    protocol_id: bytes
    nonce: int
    evidence_from_block: int
    hook_succeeded: bool
    position: Position
    tx_hash: bytes


def _word(data: bytes, i: int) -> int:
    return int.from_bytes(data[32 * i:32 * i + 32], "big")


def _address(word: bytes) -> bytes:
    if len(word) != 32 or any(word[:12]):
        raise ChainError("an address word with non-zero padding")
    return word[12:]


def _entry(entry: Any) -> tuple[tuple[bytes, ...], bytes, Position, bytes]:
    if not isinstance(entry, Mapping):
        raise ChainError("malformed log entry")
    try:
        topics = tuple(decode_bytes(t, 32, "log topic") for t in entry["topics"])
        data = decode_bytes(entry.get("data", b""), None, "log data")
        pos = Position(decode_uint(entry["blockNumber"], "log block"),
                       decode_uint(entry["transactionIndex"], "log tx index"),
                       decode_uint(entry["logIndex"], "log index"))
        return topics, data, pos, decode_bytes(entry["transactionHash"], 32, "log tx hash")
    except (KeyError, TypeError) as exc:
        raise ChainError(f"malformed log entry: {exc}") from exc


def parse_pool_created(entry: Any) -> PoolInfo | None:
    topics, data, pos, _ = _entry(entry)
    if len(topics) != 4 or topics[0] != POOL_CREATED_TOPIC or len(data) != 6 * 32:
        return None
    return PoolInfo(address=_address(topics[2]), protocol_id=topics[1],
                    asset=_address(topics[3]), claims_token=_address(data[32:64]),
                    max_payout=_word(data, 2), deductible=_word(data, 3),
                    confirmation_window=_word(data, 4), claim_period=_word(data, 5),
                    created_block=pos.block)


def parse_engaged(entry: Any) -> Engaged | None:
    topics, data, pos, tx = _entry(entry)
    if len(topics) != 2 or topics[0] != CONTAINMENT_TOPIC or len(data) != 6 * 32:
        return None
    return Engaged(protocol_id=topics[1], nonce=_word(data, 1), evidence_from_block=_word(data, 2),
                   hook_succeeded=_word(data, 5) == 1, position=pos, tx_hash=tx)


def parse_transfer(entry: Any) -> Transfer | None:
    topics, data, pos, tx = _entry(entry)
    if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 32:
        return None  # not an ERC-20 Transfer (an ERC-721 one has 4 topics)
    return Transfer(pos, tx, _address(topics[1]), _address(topics[2]), _word(data, 0))


class CoverChain:
    def __init__(self, rpc: ChainRpc) -> None:
        self.rpc = rpc

    async def _logs(self, address: bytes, from_block: int, to_block: int) -> list[Any]:
        out: list[Any] = []
        start = from_block
        while start <= to_block:
            end = min(to_block, start + MAX_LOG_SPAN - 1)
            out.extend(await self.rpc.raw_logs(address, start, end))
            start = end + 1
        return out

    async def pools(self, factory: bytes, from_block: int, to_block: int) -> list[PoolInfo]:
        found = (parse_pool_created(e) for e in await self._logs(factory, from_block, to_block))
        return [p for p in found if p is not None]

    async def engaged(self, oracle: bytes, from_block: int, to_block: int) -> list[Engaged]:
        found = (parse_engaged(e) for e in await self._logs(oracle, from_block, to_block))
        return [e for e in found if e is not None]

    async def transfers(self, token: bytes, from_block: int, to_block: int) -> list[Transfer]:
        found = (parse_transfer(e) for e in await self._logs(token, from_block, to_block))
        return [t for t in found if t is not None]

    async def total_supply(self, token: bytes, block: int) -> int:
        out = await self.rpc.call(token, TOTAL_SUPPLY, block)
        if out is None or len(out) != 32:
            raise ChainError(f"totalSupply() of 0x{token.hex()} at block {block} did not answer")
        return int.from_bytes(out, "big")

    async def facts(self, pool: PoolInfo, monitored: tuple[bytes, ...], engaged: Engaged,
                    from_block: int) -> BreachFacts:
        """The loss rule applied to this node's view of the chain."""
        containment = engaged.position
        asset = await self.transfers(pool.asset, engaged.evidence_from_block, containment.block)
        claims = await self.transfers(pool.claims_token, from_block, containment.block)
        first = breach_facts(asset, claims, monitored, engaged.evidence_from_block, containment)
        if first.loss == 0:
            return first
        supply = await self.total_supply(pool.claims_token, first.snapshot_block)
        return breach_facts(asset, claims, monitored, engaged.evidence_from_block, containment,
                            claims_supply_at={first.snapshot_block: supply})
