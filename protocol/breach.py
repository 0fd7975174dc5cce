"""Breach confirmations: what the guardians sign so that a cover pool pays the affected users.

    digest = keccak256(abi.encode(
        bytes32 BREACH_DOMAIN_TAG,  // keccak256("GuardianNetwork.Breach.v1")
        uint256 chainId,            // stops cross-chain replay
        address coverPool,          // the pool that pays: stops replay on another pool
        bytes32 protocolId,         // the covered protocol (the oracle's id)
        uint64  nonce,              // the oracle nonce the incident's containment used
        uint256 loss,               // the loss, in the pool's asset (protocol.cover_loss)
        uint64  snapshotBlock,      // the block before the first exploit transaction
        bytes32 merkleRoot,         // StandardMerkleTree root of (account, amount) (protocol.merkle)
        uint64  deadline))          // unix seconds; the signature is void after it

Nine words (288 bytes) whose first word is a domain tag of its own; the authorization digest
(`protocol.digest`) is ten words under another tag, so no preimage is both. The 32-byte digest is
then hashed to G2 with `DST_BREACH`, not the containments' DST: an authorization signature never
verifies as a confirmation, nor the reverse, whatever the digests. The group key signs both
(threshold shares as in `protocol.threshold`, combined the same way).

What a pool pays (`CoverPool.sol`): at confirmation it sets aside
`payout = min(loss, maxPayout, free assets)`; a claim of tree amount `a` pays
`a * min(1, payout / loss)` (rounded down) less the deductible, once per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_hash.auto import keccak

from protocol.bls import Backend
from protocol.errors import ProtocolError
from protocol.guardian_set import GuardianSet
from protocol.threshold import combine

BREACH_DOMAIN_TAG_PREIMAGE = b"GuardianNetwork.Breach.v1"
BREACH_DOMAIN_TAG = keccak(BREACH_DOMAIN_TAG_PREIMAGE)
DST_BREACH = b"GUARDIAN-NETWORK-V1-BREACH_BLS12381G2_XMD:SHA-256_SSWU_RO_"
BREACH_LAYOUT = (
    ("domainTag", "bytes32"), ("chainId", "uint256"), ("coverPool", "address"),
    ("protocolId", "bytes32"), ("nonce", "uint64"), ("loss", "uint256"),
    ("snapshotBlock", "uint64"), ("merkleRoot", "bytes32"), ("deadline", "uint64"),
)
CONFIRMATION_TTL_SECONDS = 3600  # a confirmation's deadline: this long after the guardians sign


class BreachError(ProtocolError):
    """A confirmation field is out of range, or a combination failed."""


def _uint(value: int, bits: int, name: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise BreachError(f"{name} must be a uint{bits}")
    return value.to_bytes(32, "big")


def _fixed(value: bytes, length: int, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != length:
        raise BreachError(f"{name} must be {length} bytes")
    return value.rjust(32, b"\x00")


@dataclass(frozen=True)
class Confirmation:
    """The fields of one breach confirmation (everything the digest binds)."""

    chain_id: int
    pool: bytes
    protocol_id: bytes
    nonce: int
    loss: int
    snapshot_block: int
    root: bytes
    deadline: int

    def preimage(self) -> bytes:
        return b"".join((
            BREACH_DOMAIN_TAG, _uint(self.chain_id, 256, "chain_id"), _fixed(self.pool, 20, "pool"),
            _fixed(self.protocol_id, 32, "protocol_id"), _uint(self.nonce, 64, "nonce"),
            _uint(self.loss, 256, "loss"), _uint(self.snapshot_block, 64, "snapshot_block"),
            _fixed(self.root, 32, "root"), _uint(self.deadline, 64, "deadline")))

    def digest(self) -> bytes:
        return keccak(self.preimage())

    def same_facts(self, other: Confirmation) -> bool:
        """Equal in everything but the deadline (each proposer picks its own)."""
        return (self.chain_id, self.pool, self.protocol_id, self.nonce, self.loss,
                self.snapshot_block, self.root) == (
            other.chain_id, other.pool, other.protocol_id, other.nonce, other.loss,
            other.snapshot_block, other.root)


def breach_digest(chain_id: int, pool: bytes, protocol_id: bytes, nonce: int, loss: int,
                  snapshot_block: int, root: bytes, deadline: int) -> bytes:
    return Confirmation(chain_id, pool, protocol_id, nonce, loss, snapshot_block, root,
                        deadline).digest()


def partial_sign(share: int, digest: bytes, backend: Backend) -> bytes:
    """Guardian i's partial signature over a breach digest: sk_i * H(digest), DST_BREACH."""
    return backend.sign(share, digest, DST_BREACH)


def verify_partial(gset: GuardianSet, index: int, digest: bytes, partial: bytes,
                   backend: Backend) -> bool:
    if not gset.is_member(index):
        return False
    return backend.verify(gset.public_share(index), digest, partial, DST_BREACH)


def combine_confirmation(gset: GuardianSet, digest: bytes, partials: Mapping[int, bytes],
                         backend: Backend) -> bytes:
    """t partials (each checked against its public share) -> the group signature, checked under
    the group key. Raises BreachError when fewer than t verify."""
    good = {i: p for i, p in partials.items() if verify_partial(gset, i, digest, p, backend)}
    if len(good) < gset.threshold:
        raise BreachError(f"{len(good)} valid partials, {gset.threshold} needed")
    chosen = dict(sorted(good.items())[:gset.threshold])
    signature = combine(chosen, backend)
    if not backend.verify(gset.group_public_key, digest, signature, DST_BREACH):
        raise BreachError("the combined signature does not verify under the group key")
    return signature


def pool_payout(loss: int, max_payout: int, free_assets: int) -> int:
    """What a pool sets aside at confirmation: min(loss, maxPayout, free assets)."""
    return min(loss, max_payout, free_assets)


def claim_payment(amount: int, loss: int, payout: int, deductible: int) -> int:
    """What one claim of tree amount `amount` pays (0: the contract refuses it as below the
    deductible)."""
    gross = amount if payout >= loss else amount * payout // loss
    return gross - deductible if gross > deductible else 0
