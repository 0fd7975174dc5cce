"""A recipient's own shares in a ceremony: opened from the deals held, checked against each
deal's Feldman commitments, and remembered by deal bytes (so a deal is opened once)."""

from __future__ import annotations

from protocol.bls import Backend
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_commitments import share_matches, shares_match
from protocol.dkg_crypto import decrypt_share
from protocol.dkg_errors import ShareDecryptionError
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_log import MessageLog
from protocol.dkg_wire import Deal, encode


class MyShares:
    def __init__(self, ceremony: Ceremony, keys: ParticipantKeys, recipient: int | None,
                 backend: Backend) -> None:
        self.ceremony, self.keys, self.recipient, self.backend = ceremony, keys, recipient, backend
        self._verified: dict[bytes, int | None] = {}   # deal bytes -> my verified share

    def of(self, dealer: int, log: MessageLog) -> int | None:
        """My share from `dealer`'s deal in `log` if it opens and matches its commitments."""
        deal = log.deal_of(dealer)
        if deal is None:
            return None
        raw = encode(deal)
        if raw not in self._verified:
            share = self._open(deal)
            if share is not None and not share_matches(deal.commitments, self.recipient, share,
                                                       self.backend):
                share = None
            self._verified[raw] = share
        return self._verified[raw]

    def check_all(self, log: MessageLog) -> None:
        """Open and check all my new shares in one batch (the usual case: all good)."""
        todo = []
        for dealer in (p.index for p in self.ceremony.dealers):
            deal = log.deal_of(dealer)
            if deal is not None and encode(deal) not in self._verified:
                share = self._open(deal)
                if share is not None:
                    todo.append((deal, share))
        if shares_match([(d.commitments, s) for d, s in todo], self.recipient, self.backend):
            self._verified.update((encode(d), s) for d, s in todo)

    def _open(self, deal: Deal) -> int | None:
        j = self.recipient
        try:
            return decrypt_share(self.ceremony.id, deal.dealer, j, deal.ephemeral_keys[j - 1],
                                 deal.ciphertexts[j - 1], self.keys.encryption_secret)
        except ShareDecryptionError:
            return None


__all__ = ["MyShares"]
