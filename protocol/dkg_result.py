"""What a DKG (or resharing) ceremony produces for one participant, and the public guardian-set
artifact built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgError
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


__all__ = ["DkgResult"]
