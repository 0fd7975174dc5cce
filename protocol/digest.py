"""The authorization digest: the exact bytes t guardians sign and the oracle recomputes.

    digest = keccak256(abi.encode(
        bytes32 DOMAIN_TAG,      // keccak256("GuardianNetwork.Authorization.v1")
        uint256 chainId,         // stops cross-chain replay
        address oracle,          // stops replay on another deployment
        uint64  keyEpoch,        // signatures of a rotated-out guardian key are void
        bytes32 protocolId,      // keccak256(abi.encode(address target))
        uint8   action,          // 1 pause, 2 circuit breaker, 3 collateral lock
        uint64  nonce,           // the oracle's next nonce for this protocol: no replay
        uint64  deadline,        // unix seconds; the signature is void after it
        uint64  evidenceFromBlock, // the evidence's first block (Evidence.block_from): the oracle
                                 // refuses it unless it is after the protocol's last release
        bytes32 evidenceHash))   // keccak256 of the canonical evidence (protocol.evidence)

`abi.encode` of these static types is ten 32-byte words (320 bytes), each value left-padded with
zeros: addresses and small integers to the right of their word, bytes32 as is. The message that is
BLS-signed (hashed to G2 with `DST_AUTHORIZATION`) is the 32-byte digest.
"""

from __future__ import annotations

from enum import IntEnum

from eth_hash.auto import keccak

DOMAIN_TAG_PREIMAGE = b"GuardianNetwork.Authorization.v1"
DOMAIN_TAG = keccak(DOMAIN_TAG_PREIMAGE)
# The ten words of the preimage, in order: (name, ABI type). The contract's abi.encode follows it.
DIGEST_LAYOUT = (
    ("domainTag", "bytes32"), ("chainId", "uint256"), ("oracle", "address"),
    ("keyEpoch", "uint64"), ("protocolId", "bytes32"), ("action", "uint8"),
    ("nonce", "uint64"), ("deadline", "uint64"), ("evidenceFromBlock", "uint64"),
    ("evidenceHash", "bytes32"),
)
UINT64_MAX = 2**64 - 1


class Action(IntEnum):
    PAUSE = 1
    CIRCUIT_BREAKER = 2
    COLLATERAL_LOCK = 3


class DigestError(ValueError):
    """A digest field is out of range or has the wrong length."""


def _word_uint(value: int, bits: int, name: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise DigestError(f"{name} must be a uint{bits}")
    return value.to_bytes(32, "big")


def _word_bytes(value: bytes, length: int, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != length:
        raise DigestError(f"{name} must be {length} bytes")
    return value.rjust(32, b"\x00")


def protocol_id(target: bytes) -> bytes:
    """keccak256(abi.encode(address target)): how the oracle names a registered protocol."""
    return keccak(_word_bytes(target, 20, "target"))


def digest_preimage(chain_id: int, oracle: bytes, key_epoch: int, protocol_id: bytes,
                    action: int, nonce: int, deadline: int, evidence_from_block: int,
                    evidence_hash: bytes) -> bytes:
    if int(action) not in tuple(Action):
        raise DigestError(f"action {action} is not one of {[a.value for a in Action]}")
    return b"".join((
        DOMAIN_TAG,
        _word_uint(chain_id, 256, "chain_id"),
        _word_bytes(oracle, 20, "oracle"),
        _word_uint(key_epoch, 64, "key_epoch"),
        _word_bytes(protocol_id, 32, "protocol_id"),
        _word_uint(int(action), 8, "action"),
        _word_uint(nonce, 64, "nonce"),
        _word_uint(deadline, 64, "deadline"),
        _word_uint(evidence_from_block, 64, "evidence_from_block"),
        _word_bytes(evidence_hash, 32, "evidence_hash"),
    ))


def authorization_digest(chain_id: int, oracle: bytes, key_epoch: int, protocol_id: bytes,
                         action: int, nonce: int, deadline: int, evidence_from_block: int,
                         evidence_hash: bytes) -> bytes:
    return keccak(digest_preimage(chain_id, oracle, key_epoch, protocol_id, action, nonce,
                                  deadline, evidence_from_block, evidence_hash))


def incident_id(chain_id: int, oracle: bytes, protocol_id: bytes, nonce: int) -> bytes:
    """One incident per (chain, oracle, protocol, nonce): competing reports of it share this id."""
    return keccak(_word_uint(chain_id, 256, "chain_id") + _word_bytes(oracle, 20, "oracle")
                  + _word_bytes(protocol_id, 32, "protocol_id") + _word_uint(nonce, 64, "nonce"))
