"""Who submits a combined proof, and when.

Every guardian that holds t valid shares can combine and submit, but one transaction is enough.
For each incident digest every guardian derives the same order of guardians (a hash of the digest
and the index, so the first submitter differs from incident to incident); a guardian waits its
position times a stagger before submitting, and stands down when the oracle's nonce for the
protocol has moved past the incident's nonce or a peer's proof transaction is pending. If the
first submitter fails or is offline, the next one's turn comes by itself.

Positions count only guardians believed live (seen recently), so a crashed first-ranked guardian
costs one stagger at most once peers notice its silence.
"""

from __future__ import annotations

from collections.abc import Iterable

from eth_hash.auto import keccak


def submission_order(digest: bytes, indices: Iterable[int]) -> list[int]:
    """Guardian indices in submission order for this digest."""
    return sorted(indices, key=lambda i: (keccak(digest + i.to_bytes(2, "big")), i))


def submission_rank(digest: bytes, me: int, live: Iterable[int]) -> int:
    """My 0-based position among the live guardians (I always count myself as live)."""
    order = submission_order(digest, set(live) | {me})
    return order.index(me)


def submission_delay(rank: int, stagger_seconds: float) -> float:
    return rank * stagger_seconds
