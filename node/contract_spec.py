"""Generate what the contracts share with `protocol/`, so each value is written down once, in Python.

- `contracts/src/oracle/OracleConstants.sol`: the digest's domain tag and DST and the oracle's
  limits (`protocol.digest`, `protocol.bls`, `protocol.oracle_limits`) as a Solidity library that
  the GuardianOracle's constants are defined from.
- `protocol/vectors/guardian_oracle.json`: known answers made by `protocol/` that the forge tests
  and pytest both read: the digest layout and vectors, protocol ids, the limits (the forge tests
  compare them with the deployed contract's public constants) and real BLS authorizations
  (signed with fixed test keys) that OracleBls.t.sol verifies on the EIP-2537 precompiles.

Deterministic; `tests/contracts/test_contract_spec.py` regenerates both and fails when the
committed copies differ. Usage: python -m node.contract_spec [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eth_hash.auto import keccak

from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.digest import (
    DIGEST_LAYOUT,
    DOMAIN_TAG,
    DOMAIN_TAG_PREIMAGE,
    Action,
    authorization_digest,
    digest_preimage,
    protocol_id,
)
from protocol.oracle_limits import CONTRACT_LIMITS

ROOT = Path(__file__).resolve().parents[1]
CONSTANTS_SOL = ROOT / "contracts" / "src" / "oracle" / "OracleConstants.sol"
VECTORS_JSON = ROOT / "protocol" / "vectors" / "guardian_oracle.json"

# The forge test contract's address (forge's default sender deploys it); the BLS test deploys the
# oracle and its protocol first, so they land at CREATE(FORGE_TEST_CONTRACT, 1) and (.., 2).
FORGE_TEST_CONTRACT = bytes.fromhex("7FA9385bE102ac3EAc297483Dd6233D62b3e1496")
FORGE_CHAIN_ID = 31337
# Fixed BLS test keys, public on purpose: never a real guardian key.
TEST_SECRET_KEY = 0x2A_5EED_0F_7E57_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0001
TEST_OTHER_KEY = 0x0BAD_5EED
TEST_EVIDENCE = keccak(b"evidence")
TEST_EVIDENCE_FROM_BLOCK = 2  # the evidence's first block in the BLS test authorizations (forge is at block 1)
TEST_START = 1_700_000_000  # the BLS test warps here
TEST_DEADLINE = 1_700_000_300
U64_MAX = 2**64 - 1


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def create_address(sender: bytes, nonce: int) -> bytes:
    """The address CREATE gives a contract deployed by `sender` at `nonce` (1 <= nonce < 0x80)."""
    assert 0 < nonce < 0x80
    return keccak(bytes([0xD6, 0x94]) + sender + bytes([nonce]))[12:]


def _digest_vector(about: str, chain_id: int, oracle: bytes, key_epoch: int, pid: bytes,
                   action: int, nonce: int, deadline: int, from_block: int, evidence: bytes) -> dict:
    args = (chain_id, oracle, key_epoch, pid, action, nonce, deadline, from_block, evidence)
    return {
        "about": about, "chain_id": chain_id, "oracle": _hex(oracle), "key_epoch": key_epoch,
        "protocol_id": _hex(pid), "action": int(action), "nonce": nonce, "deadline": deadline,
        "evidence_from_block": from_block, "evidence_hash": _hex(evidence), "preimage": _hex(digest_preimage(*args)),
        "digest": _hex(authorization_digest(*args)),
    }


def digest_vectors() -> list[dict]:
    return [
        _digest_vector("epoch 0 (what an etched copy of a deployed oracle computes)",
                       1, bytes(19) + b"\xaa", 0, protocol_id(bytes(19) + b"\xbb"), Action.PAUSE,
                       0, TEST_DEADLINE, 0, TEST_EVIDENCE),
        _digest_vector("a devnet-like authorization at epoch 1",
                       FORGE_CHAIN_ID, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"), 1,
                       keccak(b"demo"), Action.PAUSE, 7, 1_800_000_000, 1234, TEST_EVIDENCE),
        _digest_vector("every field at its largest value (padding and word order)",
                       U64_MAX, b"\xff" * 20, U64_MAX, b"\xff" * 32, Action.COLLATERAL_LOCK,
                       U64_MAX, U64_MAX, U64_MAX, b"\xff" * 32),
    ]


def protocol_id_vectors() -> list[dict]:
    targets = (bytes(19) + b"\xbb", bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))
    return [{"target": _hex(t), "protocol_id": _hex(protocol_id(t))} for t in targets]


def bls_authorizations() -> dict:
    """Real authorizations for OracleBls.t.sol: the oracle and protocol addresses the test gets,
    the keys, and signatures made by protocol/ for the digests the contract will recompute."""
    b = get_backend("pyblst")
    oracle = create_address(FORGE_TEST_CONTRACT, 1)
    target = create_address(FORGE_TEST_CONTRACT, 2)
    pid = protocol_id(target)
    signers = {"public_key": TEST_SECRET_KEY, "other_public_key": TEST_OTHER_KEY}
    cases = {  # name: (signer, key epoch, nonce, deadline)
        "nonce0": ("public_key", 1, 0, TEST_DEADLINE),
        "nonce1": ("public_key", 1, 1, TEST_DEADLINE + 7200),
        "other_key": ("other_public_key", 1, 0, TEST_DEADLINE),
        "epoch2_other_key": ("other_public_key", 2, 0, TEST_DEADLINE + 3 * 86400),
    }
    authorizations = {}
    for name, (signer, epoch, nonce, deadline) in cases.items():
        digest = authorization_digest(FORGE_CHAIN_ID, oracle, epoch, pid, Action.PAUSE, nonce,
                                      deadline, TEST_EVIDENCE_FROM_BLOCK, TEST_EVIDENCE)
        signature = b.sign(signers[signer], digest, DST_AUTHORIZATION)
        authorizations[name] = {"signer": signer, "key_epoch": epoch, "action": int(Action.PAUSE),
                                "nonce": nonce, "deadline": deadline, "digest": _hex(digest),
                                "signature": _hex(b.g2_to_eip2537(signature))}
    return {
        "chain_id": FORGE_CHAIN_ID, "oracle": _hex(oracle), "protocol": _hex(target),
        "protocol_id": _hex(pid), "start": TEST_START, "evidence_hash": _hex(TEST_EVIDENCE),
        "evidence_from_block": TEST_EVIDENCE_FROM_BLOCK,
        **{name: _hex(b.g1_to_eip2537(b.sk_to_pk(sk))) for name, sk in signers.items()},
        "authorizations": authorizations,
    }


def oracle_vectors() -> dict:
    return {
        "about": "Generated by `python -m node.contract_spec` from protocol/ (do not edit); read by "
                 "the forge tests (contracts/test) and pytest (tests/contracts).",
        "digest": {
            "domain_tag_preimage": DOMAIN_TAG_PREIMAGE.decode(),
            "domain_tag": _hex(DOMAIN_TAG),
            "dst": DST_AUTHORIZATION.decode(),
            "layout": [f"{abi_type} {name}" for name, abi_type in DIGEST_LAYOUT],
            "vectors": digest_vectors(),
        },
        "protocol_ids": protocol_id_vectors(),
        "actions": {a.name: int(a) for a in Action},
        "limits": {name: value for name, (_, value) in CONTRACT_LIMITS.items()},
        "bls_authorizations": bls_authorizations(),
    }


def _sol_uint(value: int) -> str:
    digits = str(value)
    if value < 10_000:
        return digits
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return "_".join(groups)


def constants_solidity() -> str:
    lines = [
        "// SPDX-License-Identifier: Apache-2.0",
        "// GENERATED by `python -m node.contract_spec` from protocol/digest.py, protocol/bls/base.py",
        "// and protocol/oracle_limits.py. Do not edit: change the Python source and regenerate.",
        "pragma solidity ^0.8.28;",
        "",
        "/// @title OracleConstants",
        "/// @notice The GuardianOracle's digest constants and limits, from the Python specification",
        "/// in protocol/ (one source for the contract, the node and the tests).",
        "library OracleConstants {",
        "    /// @dev Domain tag of the authorization digest.",
        f'    bytes32 internal constant DOMAIN_TAG = keccak256("{DOMAIN_TAG_PREIMAGE.decode()}");',
        "    /// @dev RFC 9380 domain separation tag used to hash the digest to G2.",
        f'    bytes internal constant DST = "{DST_AUTHORIZATION.decode()}";',
        "",
    ]
    for name, (sol_type, value) in CONTRACT_LIMITS.items():
        lines.append(f"    {sol_type} internal constant {name} = {_sol_uint(value)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generated_files() -> dict[Path, str]:
    return {
        CONSTANTS_SOL: constants_solidity(),
        VECTORS_JSON: json.dumps(oracle_vectors(), indent=2) + "\n",
    }


def stale_files() -> list[Path]:
    return [path for path, text in generated_files().items()
            if not path.is_file() or path.read_text() != text]


def write_all() -> list[Path]:
    """Write every generated file that differs; returns those written."""
    written = []
    for path, text in generated_files().items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m node.contract_spec", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
