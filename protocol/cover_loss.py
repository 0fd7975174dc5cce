"""The loss rule of cover: how much an incident cost, when it started, and whom it hit.

Every guardian applies it to the same chain data and must get the same bytes (the confirmation
digest binds loss, snapshot block and Merkle root), so it is a pure function of facts a node
reads: ERC-20 `Transfer` logs, ordered by position on chain.

1. Window. From the containment's evidence: blocks `evidence_from_block` up to the containment
   transaction itself (transactions after it in its block are not counted: the protocol was
   contained by then).
2. Covered asset only. Only transfers of the cover pool's asset are counted, one for one: the
   asset is one of the tokens the protocol registered for monitoring, so its amount needs no
   price (other tokens, and value that left in them, are not covered by this pool).
3. Exploit transactions. A transaction in the window whose net transfer of the asset out of the
   monitored contracts is positive, unless it burned claims tokens (a holder redeeming its own
   share is a withdrawal, not a loss).
4. Loss = the sum of those net outflows. Snapshot = the block before the first of them.
5. Affected accounts = holders of the claims token at the snapshot block (balances folded from
   the claims token's `Transfer` logs up to and including that block; the node checks the sum
   against `totalSupply()` at that block and refuses tokens where they differ), each owed
   `loss * balance // totalSupply`, rounded down, zero amounts dropped. The sum never exceeds
   the loss.

Nothing lost (a containment in the exploit's block, ordered first; a false containment) means no
exploit transaction, loss 0, and nothing to confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from protocol.errors import ProtocolError
from protocol.merkle import MAX_LEAVES, MerkleTree, build_tree

ZERO_ADDRESS = bytes(20)


class LossRuleError(ProtocolError):
    """The facts given cannot be judged (too many holders, inconsistent balances)."""


@dataclass(frozen=True, order=True)
class Position:
    """Where a log sits on chain: block, transaction index, log index."""

    block: int
    tx_index: int
    log_index: int = 0


@dataclass(frozen=True)
class Transfer:
    """One ERC-20 `Transfer(from, to, value)` log."""

    position: Position
    tx_hash: bytes
    sender: bytes
    receiver: bytes
    amount: int


@dataclass(frozen=True)
class LossFacts:
    loss: int
    snapshot_block: int  # 0 when loss == 0
    exploit_txs: tuple[bytes, ...]  # hashes, in chain order


@dataclass(frozen=True)
class BreachFacts:
    loss: int
    snapshot_block: int
    exploit_txs: tuple[bytes, ...]
    leaves: tuple[tuple[bytes, int], ...]  # (account, amount), sorted by account
    tree: MerkleTree | None  # None when nothing was lost

    @property
    def root(self) -> bytes:
        return self.tree.root if self.tree is not None else bytes(32)


def in_window(position: Position, evidence_from_block: int, containment: Position) -> bool:
    return evidence_from_block <= position.block and (position.block, position.tx_index) < (
        containment.block, containment.tx_index)


def incident_loss(asset_transfers: Iterable[Transfer], claims_transfers: Iterable[Transfer],
                  monitored: Iterable[bytes], evidence_from_block: int,
                  containment: Position) -> LossFacts:
    """Rules 1 to 4: the loss in the covered asset and the snapshot block."""
    watched = set(monitored)
    net: dict[tuple[int, int, bytes], int] = {}
    for t in asset_transfers:
        if not in_window(t.position, evidence_from_block, containment):
            continue
        key = (t.position.block, t.position.tx_index, t.tx_hash)
        out = t.amount if t.sender in watched else 0
        back = t.amount if t.receiver in watched else 0
        net[key] = net.get(key, 0) + out - back
    withdrawals = {t.tx_hash for t in claims_transfers
                   if t.receiver == ZERO_ADDRESS and in_window(t.position, evidence_from_block,
                                                               containment)}
    exploits = sorted((k, v) for k, v in net.items() if v > 0 and k[2] not in withdrawals)
    if not exploits:
        return LossFacts(0, 0, ())
    first_block = exploits[0][0][0]
    return LossFacts(sum(v for _, v in exploits), first_block - 1,
                     tuple(k[2] for k, _ in exploits))


def balances_at(claims_transfers: Iterable[Transfer], block: int) -> dict[bytes, int]:
    """Claims-token balances after `block`, folded from its Transfer logs (mints from zero)."""
    balances: dict[bytes, int] = {}
    for t in sorted((t for t in claims_transfers if t.position.block <= block),
                    key=lambda t: t.position):
        if t.sender != ZERO_ADDRESS:
            left = balances.get(t.sender, 0) - t.amount
            if left < 0:
                raise LossRuleError(f"0x{t.sender.hex()} would hold a negative balance at "
                                    f"block {t.position.block}: the logs are incomplete")
            balances[t.sender] = left
        if t.receiver != ZERO_ADDRESS:
            balances[t.receiver] = balances.get(t.receiver, 0) + t.amount
    return {a: v for a, v in balances.items() if v > 0}


def affected_amounts(balances: Mapping[bytes, int], total_supply: int,
                     loss: int) -> tuple[tuple[bytes, int], ...]:
    """Rule 5: each holder's pro-rata part of the loss, rounded down, sorted by account."""
    if total_supply <= 0 or loss <= 0:
        return ()
    if sum(balances.values()) > total_supply:
        raise LossRuleError("the holders' balances add up to more than the total supply")
    if len(balances) > MAX_LEAVES:
        raise LossRuleError(f"{len(balances)} holders exceed the limit of {MAX_LEAVES}")
    out = ((a, loss * v // total_supply) for a, v in sorted(balances.items()))
    return tuple((a, v) for a, v in out if v > 0)


def breach_facts(asset_transfers: Sequence[Transfer], claims_transfers: Sequence[Transfer],
                 monitored: Iterable[bytes], evidence_from_block: int, containment: Position,
                 claims_supply_at: Mapping[int, int] | None = None) -> BreachFacts:
    """The whole rule: loss, snapshot and the tree of affected accounts. `claims_supply_at`
    maps the snapshot block to the claims token's `totalSupply()` there (read by the node); when
    it is given and differs from the folded balances' sum, the token is not a plain ERC-20 and
    the rule refuses it."""
    facts = incident_loss(asset_transfers, claims_transfers, monitored, evidence_from_block,
                          containment)
    if facts.loss == 0:
        return BreachFacts(0, 0, (), (), None)
    balances = balances_at(claims_transfers, facts.snapshot_block)
    supply = sum(balances.values())
    if claims_supply_at is not None:
        onchain = claims_supply_at.get(facts.snapshot_block)
        if onchain != supply:
            raise LossRuleError(f"claims token: balances from its Transfer logs add up to {supply}"
                                f" but totalSupply() at block {facts.snapshot_block} is {onchain}")
    leaves = affected_amounts(balances, supply, facts.loss)
    if not leaves:
        raise LossRuleError("nobody held the claims token at the snapshot block")
    return BreachFacts(facts.loss, facts.snapshot_block, facts.exploit_txs, leaves,
                       build_tree(leaves))
