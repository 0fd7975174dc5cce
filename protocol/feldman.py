"""Feldman commitments in the exponent: deriving and checking public shares.

The guardian set (`protocol.guardian_set`) and the threshold scheme (`protocol.threshold`) both
need these two facts about a sharing, so they live below both:

- pk_i = sum_j i^j * C_j: the public share of guardian i from the commitments C_j = a_j * g1;
- a group key and n public shares are consistent iff they lie on one polynomial of degree < t.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from protocol.bls import CURVE_ORDER, Backend, BLSError

R = CURVE_ORDER


def evaluate_polynomial(coefficients: Sequence[int], x: int) -> int:
    """f(x) mod r by Horner's rule."""
    acc = 0
    for coefficient in reversed(coefficients):
        acc = (acc * x + coefficient) % R
    return acc


def public_share(commitments: Sequence[bytes], index: int, backend: Backend) -> bytes:
    """pk_i = sum_j i^j * C_j."""
    scalars = [pow(index, j, R) for j in range(len(commitments))]
    return backend.g1_msm(list(commitments), scalars)


def shares_are_consistent(group_public_key: bytes, public_shares: Sequence[bytes], t: int,
                          backend: Backend, *, seed: bytes = b"") -> bool:
    """True iff (0, group key), (1, pk_1), ..., (n, pk_n) lie on one polynomial of degree < t
    in the exponent, i.e. the public shares are a Feldman-consistent sharing of the group key.

    Reed-Solomon dual-code check (as in SCRAPE): for m = n + 1 points x_k = k, the values V_k are
    evaluations of a polynomial of degree < t iff sum_k w_k * f(k) * V_k = 0 for every polynomial
    f of degree <= n - t, where w_k = 1 / prod_{j != k} (k - j) = (-1)^(n-k) / (k! (n-k)!).
    One f with coefficients drawn from a hash of `seed` and the keys checks this up to a
    1/r chance of error, with a single multi-scalar multiplication of n + 1 points."""
    n = len(public_shares)
    if not 1 <= t <= n:
        return False
    points = [group_public_key, *public_shares]
    h = hashlib.sha256(b"GUARDIAN-NETWORK-V1-SHARE-CONSISTENCY" + seed + b"".join(points))
    coefficients = [int.from_bytes(hashlib.sha256(h.digest() + j.to_bytes(4, "big")).digest()
                                   * 2, "big") % R for j in range(n - t + 1)]
    factorial = [1] * (n + 1)
    for k in range(1, n + 1):
        factorial[k] = factorial[k - 1] * k % R
    scalars = []
    for k in range(n + 1):
        w = pow(factorial[k] * factorial[n - k], -1, R)
        if (n - k) % 2:
            w = R - w
        scalars.append(w * evaluate_polynomial(coefficients, k) % R)
    try:
        return backend.g1_msm(points, scalars) == backend.g1_infinity()
    except BLSError:
        return False
