"""OpenZeppelin's `StandardMerkleTree` (the `@openzeppelin/merkle-tree` format), for cover claims.

A leaf is one `(address account, uint256 amount)`; its hash is the double hash
`keccak256(bytes.concat(keccak256(abi.encode(account, amount))))` (the outer hash makes a leaf
64 bytes of preimage never equal an inner node's, so no inner node passes as a leaf). Leaves are
sorted by hash, ascending (the library's `sortLeaves: true` default), and laid out in one array
of 2n - 1 nodes: leaf i at index `2n - 2 - i`, node k = H(sorted(child 2k+1, child 2k+2)) where
H(a, b) = keccak256(a || b) with the smaller of the two first. A proof is the siblings from the
leaf up to the root; OpenZeppelin's `MerkleProof.verify` checks it with the same sorted-pair hash.

`tests/protocol/test_merkle.py` compares this module with the npm library byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

from protocol.errors import ProtocolError

MAX_LEAVES = 100_000  # bounds the work of one tree (every guardian builds it)


class MerkleError(ProtocolError):
    """A leaf is out of range, duplicated, or the tree is empty or too large."""


def _word(value: int, bits: int, what: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise MerkleError(f"{what} must be a uint{bits}")
    return value.to_bytes(32, "big")


def leaf_hash(account: bytes, amount: int) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(address account, uint256 amount))))."""
    if not isinstance(account, bytes) or len(account) != 20:
        raise MerkleError("account must be 20 bytes")
    return keccak(keccak(account.rjust(32, b"\x00") + _word(amount, 256, "amount")))


def node_hash(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a <= b else keccak(b + a)


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: `tree` is the node array (root at 0), `leaves` the (account, amount) pairs
    in input order, `positions[i]` the node index of leaf i."""

    tree: tuple[bytes, ...]
    leaves: tuple[tuple[bytes, int], ...]
    positions: tuple[int, ...]

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def index_of(self, account: bytes) -> int | None:
        for i, (who, _) in enumerate(self.leaves):
            if who == account:
                return i
        return None

    def proof(self, leaf_index: int) -> list[bytes]:
        k = self.positions[leaf_index]
        out = []
        while k > 0:
            out.append(self.tree[k + 1 if k % 2 == 1 else k - 1])
            k = (k - 1) // 2
        return out


def build_tree(leaves: Sequence[tuple[bytes, int]]) -> MerkleTree:
    """`StandardMerkleTree.of(leaves, ["address", "uint256"])`. Each account at most once."""
    if not leaves:
        raise MerkleError("a tree needs at least one leaf")
    if len(leaves) > MAX_LEAVES:
        raise MerkleError(f"{len(leaves)} leaves exceed the limit of {MAX_LEAVES}")
    if len({a for a, _ in leaves}) != len(leaves):
        raise MerkleError("an account appears twice")
    hashed = sorted(((leaf_hash(a, v), i) for i, (a, v) in enumerate(leaves)))
    n = len(hashed)
    tree: list[bytes] = [b""] * (2 * n - 1)
    positions = [0] * n
    for sorted_index, (h, original) in enumerate(hashed):
        k = len(tree) - 1 - sorted_index
        tree[k] = h
        positions[original] = k
    for k in range(len(tree) - 1 - n, -1, -1):
        tree[k] = node_hash(tree[2 * k + 1], tree[2 * k + 2])
    return MerkleTree(tuple(tree), tuple((a, v) for a, v in leaves), tuple(positions))


def verify_proof(root: bytes, account: bytes, amount: int, proof: Sequence[bytes]) -> bool:
    """OpenZeppelin `MerkleProof.verify(proof, root, leaf)` for this leaf encoding."""
    h = leaf_hash(account, amount)
    for sibling in proof:
        h = node_hash(h, sibling)
    return h == root
