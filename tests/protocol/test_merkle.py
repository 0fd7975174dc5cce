"""protocol/merkle.py against the reference: `@openzeppelin/merkle-tree` (npm, pinned in
package.json) builds the same trees, roots and proofs, byte for byte."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from protocol.merkle import MerkleError, build_tree, leaf_hash, verify_proof

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("merkle_npm.mjs")
VECTORS = json.loads((REPO / "protocol" / "vectors" / "cover_breach.json").read_text())


def _random_trees(rng: random.Random) -> list[list[tuple[bytes, int]]]:
    sizes = (1, 2, 3, 4, 5, 7, 8, 9, 16, 33)
    trees = []
    for n in sizes:
        accounts = {rng.getrandbits(160) | 1 for _ in range(n)}
        trees.append([(a.to_bytes(20, "big"), rng.choice((0, 1, rng.getrandbits(256))))
                      for a in accounts])
    return trees


def _reference(trees: list[list[tuple[bytes, int]]]) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        pytest.fail("node and node_modules/@openzeppelin/merkle-tree are needed: run scripts/bootstrap")
    values = [[["0x" + a.hex(), str(v)] for a, v in t] for t in trees]
    proc = subprocess.run([node, str(SCRIPT)], input=json.dumps(values).encode(), cwd=REPO,
                          capture_output=True, timeout=60, check=True)
    return json.loads(proc.stdout)


def test_trees_match_openzeppelin_merkle_tree():
    trees = _random_trees(random.Random(26)) + [
        [(bytes.fromhex(a[2:]), int(v)) for a, v in VECTORS["merkle"]["values"]]]
    for leaves, ref in zip(trees, _reference(trees), strict=True):
        ours = build_tree(leaves)
        assert "0x" + ours.root.hex() == ref["root"]
        assert ["0x" + h.hex() for h in ours.tree] == ref["tree"]
        for i, (account, amount) in enumerate(leaves):
            proof = ours.proof(i)
            assert ["0x" + p.hex() for p in proof] == ref["proofs"][i]
            assert verify_proof(ours.root, account, amount, proof)


def test_vectors_tree_is_ours():
    leaves = [(bytes.fromhex(a[2:]), int(v)) for a, v in VECTORS["merkle"]["values"]]
    tree = build_tree(leaves)
    assert "0x" + tree.root.hex() == VECTORS["merkle"]["root"] == VECTORS["forge"]["root"]


def test_proof_fails_for_another_account_or_amount():
    leaves = [(bytes([i]) * 20, 10 * i) for i in range(1, 6)]
    tree = build_tree(leaves)
    proof = tree.proof(0)
    assert verify_proof(tree.root, leaves[0][0], 10, proof)
    assert not verify_proof(tree.root, leaves[1][0], 10, proof)
    assert not verify_proof(tree.root, leaves[0][0], 11, proof)


def test_leaf_hash_is_double_hashed_abi_encoding():
    from eth_abi import encode
    from eth_hash.auto import keccak

    account = bytes.fromhex("00000000000000000000000000000000000000a1")
    assert leaf_hash(account, 5) == keccak(keccak(encode(["address", "uint256"],
                                                         ["0x" + account.hex(), 5])))


@pytest.mark.parametrize("leaves, why", [
    ([], "at least one"), ([(b"\x01" * 20, 1), (b"\x01" * 20, 2)], "twice"),
    ([(b"\x01" * 19, 1)], "20 bytes"), ([(b"\x01" * 20, -1)], "uint256"),
    ([(b"\x01" * 20, 2**256)], "uint256"), ([(b"\x01" * 20, True)], "uint256"),
])
def test_malformed_leaves_are_refused(leaves, why):
    with pytest.raises(MerkleError, match=why):
        build_tree(leaves)
