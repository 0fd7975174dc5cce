"""Feldman commitments as the DKG uses them: evaluating a committed polynomial in the exponent,
checking a share against it, and adding (or Lagrange-weighting) several dealers' commitments.

`commitment_at` uses Horner's rule with the small integer x (a guardian index, at most 1024):
t multiplications by a 10-bit scalar and t additions, cheaper with every backend than a
multi-scalar multiplication by the full-width powers x^k (`protocol.feldman.public_share`
computes the same point).
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.bls import CURVE_ORDER, Backend, BLSError


def commitment_at(commitments: Sequence[bytes], x: int, backend: Backend) -> bytes:
    """sum_k x^k * C_k, the public value f(x) * g1 of the committed polynomial f."""
    acc = commitments[-1]
    for point in reversed(commitments[:-1]):
        acc = backend.g1_add(backend.g1_mul(acc, x), point)
    return acc


def share_matches(commitments: Sequence[bytes], x: int, share: int, backend: Backend) -> bool:
    """share * g1 == f(x) * g1 for the committed f. Never raises."""
    try:
        if isinstance(share, bool) or not isinstance(share, int) or not 0 < share < CURVE_ORDER:
            return False
        return backend.sk_to_pk(share) == commitment_at(commitments, x, backend)
    except BLSError:
        return False


def add_commitments(vectors: Sequence[Sequence[bytes]], backend: Backend) -> tuple[bytes, ...]:
    """The commitments of the sum of the committed polynomials (all of one length)."""
    out = list(vectors[0])
    for vector in vectors[1:]:
        out = [backend.g1_add(a, b) for a, b in zip(out, vector, strict=True)]
    return tuple(out)


def weighted_commitments(vectors: Sequence[Sequence[bytes]], weights: Sequence[int],
                         backend: Backend) -> tuple[bytes, ...]:
    """The commitments of sum_i w_i f_i (one multi-scalar multiplication per coefficient)."""
    return tuple(backend.g1_msm([v[k] for v in vectors], list(weights))
                 for k in range(len(vectors[0])))


__all__ = ["add_commitments", "commitment_at", "share_matches", "weighted_commitments"]
