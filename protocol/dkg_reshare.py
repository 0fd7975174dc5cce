"""Resharing (the drand model): the current guardians pass the group secret to a new set of
guardians (other members, other n, other threshold) without anyone learning it, and the group
public key stays the same, so the oracle needs no change.

How: the ceremony lists the previous guardian set and at least its threshold t_old of its
guardians as dealers (`protocol.dkg_ceremony.Previous`). Dealer i deals its old share x_i as the
constant term of a fresh polynomial g_i of degree t_new - 1 (its deal's constant commitment must
equal its old public share pk_i, which everyone checks on receipt). Complaints, justifications
and disqualification are those of the fresh DKG. With QUAL the qualified old dealers
(|QUAL| >= t_old) and lambda_i their Lagrange coefficients at 0 over QUAL, new guardian j's share
is y_j = sum_i lambda_i g_i(j), and the new polynomial G = sum_i lambda_i g_i has
G(0) = sum_i lambda_i x_i = the group secret. Its commitments, hence the new public shares, are
the same Lagrange sums of the dealers' commitments; the group key sum_i lambda_i pk_i equals the
old one (checked).

Old and new shares do not combine: they are points of two independent random polynomials of
degrees t_old - 1 and t_new - 1 that agree only at 0, so t shares mixed from both lie on neither.
Security assumption: the old guardians delete their old shares (and keystores) once the new set
is in use. An adversary that gathers t_old old shares at any time, before or after the
resharing, still learns the group secret: resharing moves the key to new holders, it does not
revoke what old holders kept. To revoke, run a fresh DKG and rotate the key through the oracle's
timelock.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.bls import CURVE_ORDER, Backend
from protocol.dkg_ceremony import Ceremony, Participant, Previous
from protocol.dkg_errors import CeremonyError
from protocol.guardian_set import GuardianSet
from protocol.threshold import lagrange_coefficients


def dealer_weights(ceremony: Ceremony, qualified: Sequence[int]) -> list[int] | None:
    """The weights of the qualified dealers' polynomials in the result: None for a fresh DKG
    (plain sum), Lagrange coefficients at 0 over the qualified old indices for a resharing."""
    if ceremony.previous is None:
        return None
    return lagrange_coefficients(list(qualified))


def check_old_share(ceremony: Ceremony, dealer: int, old_share: int, backend: Backend) -> None:
    """A resharing dealer's own old share must match its public share in the previous set."""
    if ceremony.previous is None:
        raise CeremonyError("an old share is only used in a resharing")
    expected = ceremony.previous.guardian_set.public_share(dealer)
    if isinstance(old_share, bool) or not isinstance(old_share, int) or not (
            0 < old_share < CURVE_ORDER) or backend.sk_to_pk(old_share) != expected:
        raise CeremonyError(f"the old share given is not guardian {dealer}'s share of the "
                            "previous set")


def reshare_ceremony(name: str, previous_set: GuardianSet, dealers: Sequence[Participant],
                     participants: Sequence[Participant], threshold: int) -> Ceremony:
    """A resharing ceremony from the current guardian set: `dealers` under their old indices,
    `participants` (the new set) under indices 1..n, keeping the key epoch."""
    return Ceremony(name, previous_set.epoch, threshold, tuple(participants),
                    Previous(previous_set, tuple(dealers)))


__all__ = ["check_old_share", "dealer_weights", "reshare_ceremony"]
