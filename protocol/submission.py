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


# Racing a pending exploit ---------------------------------------------------------------------
# A containment racing a pending exploit into its block cannot wait seconds for one fixed
# submitter that may lag (catching up on heads, or seeing the transaction late). Every guardian
# that combines the proof sends it after a delay of milliseconds by rank, unless RACERS peers have
# announced their transactions (a Proof) by then: whoever combined first sends, a lagging first
# rank costs RACE_STEP_SECONDS, and usually no more than RACERS transactions race. A lost race
# reverts at the oracle's nonce check, before the signature is verified: a cheap revert.

RACERS = 2
RACE_STEP_SECONDS = 0.05


def race_delay(rank: int, step_seconds: float = RACE_STEP_SECONDS) -> float:
    """How long I hold a combined proof racing a pending exploit before I send it."""
    return rank * step_seconds


# Proposals ------------------------------------------------------------------------------------
# Usually every guardian detects an incident at the same head, and all their reports carry the
# same digest. Each signs and gossips its share at once, but only the first guardian in the
# incident's order gossips the Report (which guardians that did not detect need to check and sign);
# the others hold theirs back for a short, rank-based delay and publish only if no report with the
# same digest has arrived by then. One report instead of n keeps the burst of an incident small.

PROPOSAL_STEP_SECONDS = 0.25
PROPOSAL_MAX_DELAY_SECONDS = 1.0


def proposal_delay(incident: bytes, me: int, live: Iterable[int],
                   step_seconds: float = PROPOSAL_STEP_SECONDS,
                   max_delay_seconds: float = PROPOSAL_MAX_DELAY_SECONDS) -> float:
    """How long I hold back my own report for this incident (protocol id + nonce)."""
    return min(submission_rank(incident, me, live) * step_seconds, max_delay_seconds)
