"""What a DKG (or resharing) ceremony produces for one participant, how it is computed from the
messages the participant judged, and the public guardian-set artifact built from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from protocol.bls import CURVE_ORDER
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_commitments import add_commitments, commitment_at, weighted_commitments
from protocol.dkg_errors import DkgError, MissingShare, NotEnoughQualified
from protocol.dkg_judge import judge, transcript, transcript_hash
from protocol.dkg_log import MessageLog
from protocol.dkg_reshare import dealer_weights
from protocol.guardian_set import GuardianSet
from protocol.keystore import DEFAULT_KDF_N, encrypt_share


@dataclass(frozen=True)
class DkgResult:
    ceremony: Ceremony
    group_public_key: bytes
    public_shares: tuple[bytes, ...]             # position j-1: recipient j
    my_index: int | None                         # my recipient index (None: I only dealt)
    my_share: int | None = field(repr=False)     # secret; None when I am not a recipient
    qualified: tuple[int, ...]                   # dealer indices
    disqualified: Mapping[int, str]              # dealer index -> reason
    rejected_complaints: tuple[tuple[int, int], ...]   # (dealer, complainer): false complaints
    transcript_hash: bytes                       # SHA-256 of `transcript` (domain-separated)
    transcript: bytes = field(repr=False)        # canonical msgpack of the messages used
    confirmations: tuple[bytes, ...] = field(default=(), repr=False)  # the agreeing dealers'
    #                                            signed confirmations of transcript_hash

    @property
    def threshold(self) -> int:
        return self.ceremony.threshold

    def keystore(self, passphrase: str, *, backend, kdf_n: int = DEFAULT_KDF_N) -> dict:
        """My share as today's EIP-2335 keystore (the runner writes it 0600, as node.dealer)."""
        if self.my_share is None or self.my_index is None:
            raise DkgError("this participant only dealt: it has no share to store")
        n = self.ceremony.n
        return encrypt_share(self.my_share, passphrase, index=self.my_index,
                             epoch=self.ceremony.epoch, backend=backend, kdf_n=kdf_n,
                             description=f"Guardian Network share {self.my_index} of {n} (DKG)")

    def guardian_set(self) -> GuardianSet:
        """Today's public guardian-set artifact (with the participants' peer ids)."""
        return GuardianSet(self.ceremony.epoch, self.ceremony.threshold, self.group_public_key,
                           self.public_shares, tuple(p.peer_id for p in self.ceremony.participants))


def compute_result(ceremony: Ceremony, log: MessageLog, backend, recipient: int | None,
                   my_share: Callable[[int], int | None],
                   check_my_shares: Callable[[], None]) -> DkgResult:
    """Judge `log` and compute the group key, the public shares and (a recipient) my share:
    `my_share(dealer)` is my verified share from that dealer's deal held in `log`, or None."""
    verdict = judge(log)
    qualified = verdict.qualified
    if len(qualified) < ceremony.min_qualified:
        reasons = "; ".join(f"dealer {d}: {r}" for d, r in verdict.disqualified.items())
        raise NotEnoughQualified(
            f"only {len(qualified)} of {len(ceremony.dealers)} dealers qualified, the "
            f"ceremony needs {ceremony.min_qualified} ({reasons})", qualified,
            verdict.disqualified)
    deals = [log.deal_of(d) for d in qualified]
    weights = dealer_weights(ceremony, qualified)
    vectors = [d.commitments for d in deals]
    combined = (add_commitments(vectors, backend) if weights is None
                else weighted_commitments(vectors, weights, backend))
    group_key = combined[0]
    if group_key[0] & 0x40:
        raise DkgError("the qualified dealers' constant terms sum to infinity")
    if ceremony.previous is not None and (
            group_key != ceremony.previous.guardian_set.group_public_key):
        raise DkgError("resharing changed the group key (cannot happen with valid deals)")
    public_shares = tuple(commitment_at(combined, p.index, backend)
                          for p in ceremony.recipients)
    mine = None
    if recipient is not None:
        check_my_shares()
        total = 0
        for position, dealer in enumerate(qualified):
            share = verdict.revealed.get((dealer, recipient)) or my_share(dealer)
            if share is None:
                raise MissingShare(f"no valid share from qualified dealer {dealer} (my "
                                   "complaint about it did not reach the others in time?)")
            total += share * (1 if weights is None else weights[position])
        mine = total % CURVE_ORDER
        if mine == 0:
            raise DkgError("my combined share is zero; start a new ceremony")
        if backend.sk_to_pk(mine) != public_shares[recipient - 1]:
            raise DkgError("my combined share does not match my public share")
    record = transcript(log, verdict, group_key)
    return DkgResult(ceremony, group_key, public_shares, recipient, mine, qualified,
                     dict(verdict.disqualified), verdict.rejected_complaints,
                     transcript_hash(record), record)


__all__ = ["DkgResult", "compute_result"]
