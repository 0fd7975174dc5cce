"""The authorization digest: the documented layout, cross-checked against eth_abi, with a fixed
known answer the contract tests reuse."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from protocol.digest import (
    DOMAIN_TAG,
    Action,
    DigestError,
    authorization_digest,
    digest_preimage,
    incident_id,
    protocol_id,
)

ARGS = dict(chain_id=31337, oracle=bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"),
            key_epoch=1, protocol_id=keccak(b"demo"), action=Action.PAUSE, nonce=7,
            deadline=1_800_000_000, evidence_from_block=1234, evidence_hash=keccak(b"evidence"))
# keccak256(abi.encode(...)) of ARGS, fixed so that a change in the layout cannot go unnoticed.
KNOWN_DIGEST = "1114f051c42faed6b5ee2201895e2261595ed163e3481428bf51b239b8270f67"


def test_layout_equals_abi_encode():
    expected = encode(
        ["bytes32", "uint256", "address", "uint64", "bytes32", "uint8", "uint64", "uint64",
         "uint64", "bytes32"],
        [DOMAIN_TAG, ARGS["chain_id"], "0x" + ARGS["oracle"].hex(), ARGS["key_epoch"],
         ARGS["protocol_id"], int(ARGS["action"]), ARGS["nonce"], ARGS["deadline"],
         ARGS["evidence_from_block"], ARGS["evidence_hash"]])
    assert digest_preimage(**ARGS) == expected and len(expected) == 320
    assert authorization_digest(**ARGS) == keccak(expected)


def test_known_answer():
    assert DOMAIN_TAG == keccak(b"GuardianNetwork.Authorization.v1")
    assert authorization_digest(**ARGS).hex() == KNOWN_DIGEST


@pytest.mark.parametrize("field,value", [
    ("chain_id", 31338), ("oracle", b"\x01" * 20), ("key_epoch", 2), ("protocol_id", b"\x00" * 32),
    ("action", Action.CIRCUIT_BREAKER), ("nonce", 8), ("deadline", 1), ("evidence_from_block", 1235),
    ("evidence_hash", b"\x00" * 32),
])
def test_every_field_changes_the_digest(field, value):
    assert authorization_digest(**{**ARGS, field: value}) != authorization_digest(**ARGS)


@pytest.mark.parametrize("field,value", [
    ("oracle", b"\x01" * 19), ("key_epoch", 2**64), ("nonce", -1), ("action", 4),
    ("evidence_hash", b"\x00" * 31), ("chain_id", True), ("evidence_from_block", 2**64),
])
def test_bad_fields_raise(field, value):
    with pytest.raises(DigestError):
        authorization_digest(**{**ARGS, field: value})


def test_protocol_id_and_incident_id():
    target = bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512")
    assert protocol_id(target) == keccak(encode(["address"], ["0x" + target.hex()]))
    assert incident_id(1, ARGS["oracle"], protocol_id(target), 0) != \
        incident_id(1, ARGS["oracle"], protocol_id(target), 1)
