"""Distributed key generation (and resharing) for the guardians' threshold BLS key: the session
state machine a ceremony runner drives. Pure: no I/O, no clock; the runner moves messages and
decides when a phase ends (timeout, or `ready(phase)`).

Variant: Joint-Feldman with complaints and justifications, as in GJKR (Gennaro, Jarecki,
Krawczyk, Rabin, "Secure distributed key generation for discrete-log based cryptosystems")
without its Pedersen-commitment first phase, i.e. the variant drand and most BLS deployments run.
Each dealer i picks a random polynomial f_i of degree t-1, broadcasts Feldman commitments
C_ik = a_ik * g1 and, for every recipient j, f_i(j) encrypted to j (`protocol.dkg_crypto`), all
in one Ed25519-signed Deal (`protocol.dkg_wire`). Recipients check their share against the
commitments and broadcast one Response listing the dealers they complain about (no deal, or a
share that does not open or verify). A dealer answers complaints with a Justification revealing
the complainer's ephemeral secret, so everyone opens the very ciphertext that was broadcast and
judges it. A dealer is disqualified when: no deal is held from it; it signed two different deals
(equivocation: both deals are the transferable evidence); or a complaint against it is not
answered, or the answer shows a bad share. A complaint answered with a good share is rejected
and costs the complainer nothing. QUAL is the rest; with |QUAL| >= t (fresh) the group key is
sum_{i in QUAL} C_i0, guardian j's share sum_{i in QUAL} f_i(j), every public share follows from
the summed commitments. Resharing (`protocol.dkg_reshare`): old guardians deal their old shares
(C_i0 must equal the old public share) and the sums carry Lagrange weights over QUAL.

Caveats (stated, accepted):
- Key bias: Joint-Feldman lets a rushing adversary that controls some dealers see the honest
  commitments before deciding whether its own dealers get disqualified, and so bias the group
  key's distribution (GJKR 2007, section 3). The key stays secret (at most t-1 corrupt); the
  bias is harmless for BLS signing, which needs an unpredictable secret, not a uniform key.
- Synchrony: every honest participant must receive every broadcast message before the phase
  after it ends (the runner's phase timeouts). A complaint that arrives after the dealer has
  produced its justification goes unanswered and disqualifies that dealer; a message seen by
  some honest participants only can split their views (the transcript hashes then differ,
  which the runner reports). The runner rebroadcasts, and everything is signed, so late
  messages help rather than harm.
- Equivocation is detected when both deals reach someone; the complaint phase re-broadcasts
  every second deal held, so that everyone disqualifies the dealer.
- Revealing an ephemeral secret publishes the complainer's share from that dealer; a corrupt
  complainer learns nothing it did not have.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from protocol.bls import Backend
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import NotEnoughQualified, PhaseError
from protocol.dkg_keys import ParticipantKeys
from protocol.guardian_set import GuardianSet


class Phase(enum.Enum):
    DEAL = "deal"
    COMPLAIN = "complain"
    JUSTIFY = "justify"


@dataclass(frozen=True)
class DkgResult:
    ceremony: Ceremony
    group_public_key: bytes
    public_shares: tuple[bytes, ...]             # position j-1: recipient j
    my_index: int | None                         # my recipient index (None: I only dealt)
    my_share: int | None = field(repr=False)     # secret; None when I am not a recipient
    qualified: tuple[int, ...]                   # dealer indices
    disqualified: Mapping[int, str]              # dealer index -> reason
    transcript_hash: bytes                       # SHA-256 of `transcript`
    transcript: bytes = field(repr=False)        # canonical msgpack of the messages used

    @property
    def threshold(self) -> int:
        return self.ceremony.threshold

    def guardian_set(self) -> GuardianSet:
        """Today's public guardian-set artifact (with the participants' peer ids)."""
        return GuardianSet(self.ceremony.epoch, self.ceremony.threshold, self.group_public_key,
                           self.public_shares, tuple(p.peer_id for p in self.ceremony.participants))


class DkgSession:
    """One participant's view of one ceremony. See /work/helpers/dkg-api.md for the protocol
    between runner and session."""

    def __init__(self, ceremony: Ceremony, my_keys: ParticipantKeys, backend: Backend, *,
                 rng=None, old_share: int | None = None) -> None:
        raise NotImplementedError

    @property
    def dealer_index(self) -> int | None:
        raise NotImplementedError

    @property
    def recipient_index(self) -> int | None:
        raise NotImplementedError

    def outgoing(self, phase: Phase) -> list[bytes]:
        raise NotImplementedError

    def receive(self, data: bytes) -> bool:
        raise NotImplementedError

    def ready(self, phase: Phase) -> bool:
        raise NotImplementedError

    def progress(self) -> dict[str, int]:
        raise NotImplementedError

    def finish(self) -> DkgResult:
        raise NotImplementedError

    def to_state(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def from_state(cls, data: bytes, my_keys: ParticipantKeys, backend: Backend) -> DkgSession:
        raise NotImplementedError


__all__ = ["DkgResult", "DkgSession", "NotEnoughQualified", "Phase", "PhaseError"]
