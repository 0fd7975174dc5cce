"""What a DKG (or resharing) ceremony produces for one participant, and the public guardian-set
artifact built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from protocol.dkg_ceremony import Ceremony
from protocol.guardian_set import GuardianSet


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

    @property
    def threshold(self) -> int:
        return self.ceremony.threshold

    def guardian_set(self) -> GuardianSet:
        """Today's public guardian-set artifact (with the participants' peer ids)."""
        return GuardianSet(self.ceremony.epoch, self.ceremony.threshold, self.group_public_key,
                           self.public_shares, tuple(p.peer_id for p in self.ceremony.participants))


__all__ = ["DkgResult"]
