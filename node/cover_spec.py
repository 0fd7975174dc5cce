"""Generate `protocol/vectors/cover_breach.json`: what the cover contracts share with `protocol/`.

Known answers made by `protocol/` that the forge tests (contracts/test/cover/) and pytest both
read: the breach digest's constants and vectors, a StandardMerkleTree with its proofs, and real
breach confirmations signed with the same fixed test key as the oracle's BLS vectors (dealt as
3-of-5 shares and combined, so the t-1 case is a real combination of too few partials) for the
addresses the forge test deploys. Deterministic; `tests/contracts/test_cover_vectors.py`
regenerates it and fails when the committed copy differs.

Usage: python -m node.cover_spec [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from node.contract_spec import (
    FORGE_CHAIN_ID,
    FORGE_TEST_CONTRACT,
    TEST_OTHER_KEY,
    TEST_SECRET_KEY,
    create_address,
)
from protocol import breach, threshold
from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.digest import protocol_id
from protocol.merkle import build_tree

ROOT = Path(__file__).resolve().parents[1]
VECTORS_JSON = ROOT / "protocol" / "vectors" / "cover_breach.json"
E18 = 10**18
# The forge test (contracts/test/cover/CoverPool.t.sol) deploys, in order: the oracle (1), the
# guarded protocol (2), the asset token (3), the factory (4); the factory's first pool is the pool.
FORGE_START = 1_700_000_000
FORGE_SNAPSHOT_BLOCK = 90
FORGE_DEADLINE = FORGE_START + 3600
THRESHOLD, GUARDIANS = 3, 5


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def forge_addresses() -> dict[str, bytes]:
    factory = create_address(FORGE_TEST_CONTRACT, 4)
    return {"oracle": create_address(FORGE_TEST_CONTRACT, 1),
            "protocol": create_address(FORGE_TEST_CONTRACT, 2),
            "asset": create_address(FORGE_TEST_CONTRACT, 3), "factory": factory,
            "pool": create_address(factory, 1)}


def claim_leaves() -> list[tuple[bytes, int]]:
    """Five accounts owed 400, 300, 150, 100 and 50 tokens: a loss of 1,000."""
    return [(bytes(19) + bytes([0xA0 + i]), amount * E18)
            for i, amount in enumerate((400, 300, 150, 100, 50), 1)]


def _digest_vectors() -> list[dict]:
    out = []
    for about, c in (
        ("a devnet-like confirmation", breach.Confirmation(
            31337, bytes.fromhex("cf7ed3acca5a467e9e704c703e8d87f634fb0fc9"), protocol_id(b"\x11" * 20),
            0, 123_456 * E18, 41, b"\x22" * 32, 1_800_000_000)),
        ("extremes of every field", breach.Confirmation(
            2**256 - 1, b"\xff" * 20, b"\xff" * 32, 2**64 - 1, 2**256 - 1, 2**64 - 1, b"\xff" * 32,
            2**64 - 1)),
    ):
        out.append({"about": about, "chain_id": c.chain_id, "pool": _hex(c.pool),
                    "protocol_id": _hex(c.protocol_id), "nonce": c.nonce, "loss": str(c.loss),
                    "snapshot_block": c.snapshot_block, "root": _hex(c.root), "deadline": c.deadline,
                    "preimage": _hex(c.preimage()), "digest": _hex(c.digest())})
    return out


def forge_confirmations() -> dict:
    b = get_backend("pyblst")
    addrs = forge_addresses()
    leaves = claim_leaves()
    tree = build_tree(leaves)
    pid = protocol_id(addrs["protocol"])
    loss = sum(v for _, v in leaves)
    dealing = threshold.deal(GUARDIANS, THRESHOLD, backend=b, secret=TEST_SECRET_KEY,
                             rng=random.Random(26))

    def conf(**over) -> breach.Confirmation:
        fields = dict(chain_id=FORGE_CHAIN_ID, pool=addrs["pool"], protocol_id=pid, nonce=0,
                      loss=loss, snapshot_block=FORGE_SNAPSHOT_BLOCK, root=tree.root,
                      deadline=FORGE_DEADLINE)
        fields.update(over)
        return breach.Confirmation(**fields)

    def combined(c: breach.Confirmation, signers) -> bytes:
        digest = c.digest()
        partials = {i: breach.partial_sign(dealing.shares[i - 1], digest, b) for i in signers}
        return threshold.combine(partials, b)

    def entry(c: breach.Confirmation, signature: bytes) -> dict:
        return {"nonce": c.nonce, "loss": str(c.loss), "snapshot_block": c.snapshot_block,
                "root": _hex(c.root), "deadline": c.deadline, "digest": _hex(c.digest()),
                "signature": _hex(b.g2_to_eip2537(signature))}

    good = conf()
    valid = combined(good, (1, 3, 5))
    assert valid == b.sign(TEST_SECRET_KEY, good.digest(), breach.DST_BREACH)  # t of n = the key
    cases = {
        "valid": entry(good, valid),
        "t_minus_1": entry(good, combined(good, (2, 4))),
        "other_key": entry(good, b.sign(TEST_OTHER_KEY, good.digest(), breach.DST_BREACH)),
        "authorization_dst": entry(good, b.sign(TEST_SECRET_KEY, good.digest(), DST_AUTHORIZATION)),
        "other_pool": entry(good, combined(conf(pool=b"\x99" * 20), (1, 2, 3))),
        "other_nonce": entry(good, combined(conf(nonce=1), (1, 2, 3))),
        "other_chain": entry(good, combined(conf(chain_id=1), (1, 2, 3))),
    }
    return {
        "chain_id": FORGE_CHAIN_ID, **{k: _hex(v) for k, v in addrs.items()},
        "protocol_id": _hex(pid), "start": FORGE_START, "threshold": THRESHOLD,
        "guardians": GUARDIANS,
        "claims": [{"account": _hex(a), "amount": str(v),
                    "proof": [_hex(p) for p in tree.proof(i)]} for i, (a, v) in enumerate(leaves)],
        "root": _hex(tree.root), "loss": str(loss), "confirmations": cases,
    }


def vectors() -> dict:
    tree = build_tree(claim_leaves())
    return {
        "about": "Generated by `python -m node.cover_spec` from protocol/ (do not edit); read by the "
                 "forge tests (contracts/test/cover) and pytest (tests/contracts, tests/protocol).",
        "digest": {
            "domain_tag_preimage": breach.BREACH_DOMAIN_TAG_PREIMAGE.decode(),
            "domain_tag": _hex(breach.BREACH_DOMAIN_TAG), "dst": breach.DST_BREACH.decode(),
            "layout": [f"{t} {n}" for n, t in breach.BREACH_LAYOUT], "vectors": _digest_vectors(),
        },
        "merkle": {"leaf_encoding": ["address", "uint256"],
                   "values": [[_hex(a), str(v)] for a, v in claim_leaves()],
                   "tree": [_hex(h) for h in tree.tree], "root": _hex(tree.root)},
        "forge": forge_confirmations(),
    }


def render() -> str:
    return json.dumps(vectors(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m node.cover_spec", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if VECTORS_JSON.read_text() != text:
            print(f"{VECTORS_JSON} is stale: run python -m node.cover_spec", file=sys.stderr)
            return 1
        return 0
    VECTORS_JSON.write_text(text)
    print(f"wrote {VECTORS_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
