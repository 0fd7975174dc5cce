"""The one error type of the BLS layer."""

from protocol.errors import ProtocolError


class BLSError(ProtocolError):
    """Bad input to a BLS operation: a malformed encoding, a point off the curve or outside the
    subgroup, a secret key out of range."""
