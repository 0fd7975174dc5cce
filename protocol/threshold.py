"""Threshold BLS: t of n guardians together produce one signature under the group key.

Key generation (trusted dealer, for testnets): the dealer picks a random polynomial
f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1} over the scalar field r, with a_0 the group secret.
Guardian i (1-based) receives sk_i = f(i). The dealer publishes Feldman commitments
C_j = a_j * g1, so that anyone can derive every public share pk_i = sum_j i^j * C_j and each
guardian can check its share: sk_i * g1 == pk_i.

Signing: guardian i's partial signature over a digest is sk_i * H(digest) (DST_AUTHORIZATION),
i.e. an ordinary BLS signature under pk_i, so each partial is verified on its own against pk_i
before it counts. Any t valid partials combine by Lagrange interpolation at 0 in G2:
sig = sum_i lambda_i * partial_i, lambda_i = prod_{j != i} j / (j - i) mod r, which equals
a_0 * H(digest): a plain BLS signature under the group key, verified once more before use.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from protocol.bls import CURVE_ORDER, DST_AUTHORIZATION, Backend, BLSError
from protocol.errors import ProtocolError
from protocol.feldman import evaluate_polynomial, public_share, shares_are_consistent
from protocol.guardian_set import MAX_GUARDIANS, GuardianSet

R = CURVE_ORDER


class ThresholdError(ProtocolError):
    """Bad parameters or inputs to the threshold scheme."""


class NotEnoughValidShares(ThresholdError):
    """Fewer than t partials verified; `invalid_indices` names the guardians whose did not."""

    def __init__(self, message: str, invalid_indices: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.invalid_indices = invalid_indices


@dataclass(frozen=True)
class Dealing:
    secret: int = field(repr=False)
    shares: tuple[int, ...] = field(repr=False)  # shares[i-1] belongs to guardian i
    commitments: tuple[bytes, ...]               # Feldman: a_j * g1, j = 0..t-1
    group_public_key: bytes

    @property
    def n(self) -> int:
        return len(self.shares)

    @property
    def threshold(self) -> int:
        return len(self.commitments)


@dataclass(frozen=True)
class CombineResult:
    signature: bytes
    signers: tuple[int, ...]
    invalid_indices: tuple[int, ...]


def check_parameters(n: int, t: int) -> None:
    if not 1 <= n <= MAX_GUARDIANS:
        raise ThresholdError(f"guardian count {n} outside 1..{MAX_GUARDIANS}")
    if not 1 <= t <= n:
        raise ThresholdError(f"threshold {t} outside 1..{n}")


def _random_scalar(rng) -> int:
    while True:
        value = (rng.getrandbits(384) if rng is not None else secrets.randbits(384)) % R
        if value:
            return value




def deal(n: int, t: int, *, backend: Backend, secret: int | None = None, rng=None) -> Dealing:
    """Split a group secret into n shares, any t of which can sign. `rng` (random.Random) only
    for reproducible tests; the default draws from the OS."""
    check_parameters(n, t)
    a0 = secret % R if secret is not None else _random_scalar(rng)
    if a0 == 0:
        raise ThresholdError("group secret must be non-zero mod r")
    coefficients = [a0] + [_random_scalar(rng) for _ in range(t - 1)]
    shares = tuple(evaluate_polynomial(coefficients, i) for i in range(1, n + 1))
    if any(s == 0 for s in shares):  # probability ~ n / r; refuse rather than hand out a zero key
        raise ThresholdError("a share came out zero; deal again")
    commitments = tuple(backend.sk_to_pk(c) if c else backend.g1_infinity()
                        for c in coefficients)
    return Dealing(a0, shares, commitments, commitments[0])




def verify_share(index: int, share: int, commitments: Sequence[bytes], backend: Backend) -> bool:
    """A guardian's check of its dealt share against the published commitments."""
    for value in (index, share):
        if isinstance(value, bool) or not isinstance(value, int):
            return False
    if not 0 < share < R or not 1 <= index <= MAX_GUARDIANS:
        return False
    try:
        return backend.sk_to_pk(share) == public_share(commitments, index, backend)
    except BLSError:
        return False


def partial_sign(share: int, digest: bytes, backend: Backend) -> bytes:
    """Guardian i's partial signature: sk_i * H(digest), with DST_AUTHORIZATION."""
    return backend.sign(share, digest, DST_AUTHORIZATION)


def verify_partial(gset: GuardianSet, index: int, digest: bytes, partial: bytes,
                   backend: Backend) -> bool:
    """True iff `index` is a member and `partial` is its valid signature of `digest` under pk_i.
    Never raises."""
    if not gset.is_member(index):
        return False
    return backend.verify(gset.public_share(index), digest, partial, DST_AUTHORIZATION)


def lagrange_coefficients(indices: Sequence[int]) -> list[int]:
    """lambda_i at x = 0 for each index, in the given order."""
    if len(set(indices)) != len(indices) or any(i <= 0 for i in indices):
        raise ThresholdError("indices must be distinct positive integers")
    out = []
    for i in indices:
        num, den = 1, 1
        for j in indices:
            if j != i:
                num = num * j % R
                den = den * (j - i) % R
        out.append(num * pow(den, -1, R) % R)
    return out


def combine(partials: Mapping[int, bytes], backend: Backend) -> bytes:
    """Lagrange-combine partials, assumed valid, at x = 0: sum_i lambda_i * partial_i, one G2
    multi-scalar multiplication. Every partial given is used; with t or more valid partials the
    result is the group signature, with fewer it is not (and will not verify)."""
    if not partials:
        raise ThresholdError("no partials to combine")
    indices = sorted(partials)
    return backend.g2_msm([partials[i] for i in indices], lagrange_coefficients(indices))


def robust_combine(gset: GuardianSet, digest: bytes, partials: Mapping[int, bytes],
                   backend: Backend) -> CombineResult:
    """The combination a guardian submits. Rules, in order:

    1. every partial is verified on its own against its sender's public share pk_i; a sender
       that is not a member, or whose partial does not verify, is named in `invalid_indices`
       (all of them, so each can be blamed);
    2. with fewer than t valid partials, raise NotEnoughValidShares naming the invalid ones;
    3. otherwise combine the t valid partials with the lowest indices (the `signers`);
    4. verify the result under the group key; a failure here means the guardian set itself is
       inconsistent (see GuardianSet.validate) and raises ThresholdError."""
    valid: dict[int, bytes] = {}
    invalid: list[int] = []
    for index in sorted(partials):
        if verify_partial(gset, index, digest, partials[index], backend):
            valid[index] = partials[index]
        else:
            invalid.append(index)
    if len(valid) < gset.threshold:
        raise NotEnoughValidShares(
            f"{len(valid)} valid partials, threshold is {gset.threshold}"
            + (f"; invalid from guardians {invalid}" if invalid else ""), tuple(invalid))
    signers = sorted(valid)[:gset.threshold]
    signature = combine({i: valid[i] for i in signers}, backend)
    if not backend.verify(gset.group_public_key, digest, signature, DST_AUTHORIZATION):
        raise ThresholdError("combined signature does not verify under the group key")
    return CombineResult(signature, tuple(signers), tuple(invalid))


def optimistic_combine(gset: GuardianSet, digest: bytes, partials: Mapping[int, bytes],
                       backend: Backend) -> CombineResult:
    """`robust_combine` for partials that were each verified already (on arrival): combine the t
    with the lowest indices of members and verify only the result under the group key, one
    pairing check instead of t + 1 on the critical path. Should that fail (a partial the caller
    believed verified is not), fall back to `robust_combine`, which names the bad senders."""
    members = sorted(i for i in partials if gset.is_member(i))
    if len(members) >= gset.threshold:
        signers = members[:gset.threshold]
        try:
            signature = combine({i: partials[i] for i in signers}, backend)
        except Exception:  # noqa: BLE001 - a partial that does not even parse: the robust path names it
            signature = None
        if signature is not None and backend.verify(gset.group_public_key, digest, signature,
                                                    DST_AUTHORIZATION):
            return CombineResult(signature, tuple(signers), ())
    return robust_combine(gset, digest, partials, backend)


__all__ = ["CombineResult", "Dealing", "NotEnoughValidShares", "ThresholdError", "check_parameters",
           "combine", "deal", "evaluate_polynomial", "lagrange_coefficients", "optimistic_combine",
           "partial_sign", "public_share", "robust_combine", "shares_are_consistent",
           "verify_partial", "verify_share"]
