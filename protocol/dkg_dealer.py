"""A dealer's side of the DKG: its deal and its justifications, all derived from one secret
seed (kept in the saved session state), so a restarted dealer re-creates byte-identical
messages and never deals twice (which would be equivocation).

The polynomial's coefficients and the per-recipient ephemeral X25519 secrets are derived from
the seed with distinct labels (`protocol.dkg_crypto.derive_scalar` / `derive_secret`); in a
resharing the constant term is the dealer's old share instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.bls import Backend
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_crypto import derive_scalar, derive_secret, encrypt_share
from protocol.dkg_errors import DkgError
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_wire import Deal, Justification, encode, sign
from protocol.feldman import evaluate_polynomial


def ephemeral_secret(seed: bytes, recipient: int) -> bytes:
    """The X25519 secret behind recipient's ciphertext (revealed if it complains)."""
    return derive_secret(seed, b"ephemeral", recipient)


def make_deal(ceremony: Ceremony, dealer: int, keys: ParticipantKeys, seed: bytes,
              old_share: int | None, backend: Backend) -> bytes:
    """The signed, encoded deal: commitments to a random polynomial of degree t-1 (constant
    term: `old_share` when resharing) and every recipient's share encrypted to it."""
    first = old_share if old_share is not None else derive_scalar(seed, b"coefficient", 0)
    coefficients = [first] + [derive_scalar(seed, b"coefficient", k)
                              for k in range(1, ceremony.threshold)]
    ephemeral_keys, ciphertexts = [], []
    for p in ceremony.recipients:
        share = evaluate_polynomial(coefficients, p.index)
        if share == 0:  # probability n / r
            raise DkgError("a dealt share came out zero; start a new ceremony")
        key, ciphertext = encrypt_share(ceremony.id, dealer, p.index, share, p.encryption_key,
                                        ephemeral_secret(seed, p.index))
        ephemeral_keys.append(key)
        ciphertexts.append(ciphertext)
    deal = Deal(ceremony.id, dealer, tuple(backend.sk_to_pk(c) for c in coefficients),
                tuple(ephemeral_keys), tuple(ciphertexts))
    return encode(sign(deal, keys))


def make_justification(ceremony: Ceremony, dealer: int, keys: ParticipantKeys, seed: bytes,
                       complainers: Sequence[int]) -> bytes:
    """The signed, encoded answer to these complainers: their ephemeral secrets."""
    msg = Justification(ceremony.id, dealer,
                        tuple((j, ephemeral_secret(seed, j)) for j in sorted(complainers)))
    return encode(sign(msg, keys))


__all__ = ["ephemeral_secret", "make_deal", "make_justification"]
