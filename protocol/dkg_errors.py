"""The errors of the distributed key generation (`protocol.dkg*`): all derive from `DkgError`,
itself a `ProtocolError`. `DkgSession.receive` raises nothing else, whatever the input."""

from __future__ import annotations

from protocol.errors import ProtocolError


class DkgError(ProtocolError):
    """A DKG input broke a rule; the message says which."""


class CeremonyError(DkgError):
    """The ceremony description (participants, threshold, previous set) is malformed."""


class KeyFileError(DkgError):
    """A participant's ceremony key file is malformed."""


class DkgMessageError(DkgError):
    """A ceremony message is malformed (encoding, field types, lengths, canonical form)."""


class WrongCeremony(DkgMessageError):
    """A well-formed message that belongs to another ceremony."""


class UnknownSender(DkgMessageError):
    """The message names a dealer or recipient index that is not in the ceremony."""


class BadSignature(DkgMessageError):
    """The message's Ed25519 signature does not verify under its sender's ceremony key."""


class InvalidDeal(DkgMessageError):
    """A signed deal that cannot be used: wrong number of commitments or ciphertexts, a
    commitment that is not a G1 point, or (resharing) a constant term other than the dealer's
    old public share."""


class ShareDecryptionError(DkgError):
    """An encrypted share does not open with the given key (wrong key, tampered ciphertext,
    wrong ceremony/dealer/recipient binding) or does not hold a scalar below r."""


class PhaseError(DkgError):
    """The session was asked for something its phase does not allow (e.g. `finish` with no
    deal held from a qualified dealer for my own share)."""


class MissingShare(DkgError):
    """A qualified dealer's share for me is neither held nor revealed (my complaint about it
    did not reach the others in time): I cannot build my key share; the public result stands."""


class NotEnoughQualified(DkgError):
    """Fewer qualified dealers than the ceremony needs; no key can be produced."""

    def __init__(self, message: str, qualified: tuple[int, ...] = (),
                 disqualified: dict[int, str] | None = None) -> None:
        super().__init__(message)
        self.qualified = qualified
        self.disqualified = dict(disqualified or {})


class NoAgreement(DkgError):
    """Too few qualified dealers confirmed this participant's transcript hash: its view of the
    ceremony differs from theirs (or they were not heard from). Nothing may be written."""

    def __init__(self, message: str, agreement=None) -> None:
        super().__init__(message)
        self.agreement = agreement


class StateError(DkgError):
    """A saved session state is malformed or belongs to another ceremony or key."""


__all__ = ["BadSignature", "CeremonyError", "DkgError", "DkgMessageError", "InvalidDeal",
           "KeyFileError", "MissingShare", "NoAgreement", "NotEnoughQualified", "PhaseError", "ShareDecryptionError",
           "StateError", "UnknownSender", "WrongCeremony"]
