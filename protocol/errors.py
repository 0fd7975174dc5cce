"""The specification's one base error: every error `protocol` raises on purpose derives from
`ProtocolError` (a ValueError: the input broke a rule)."""


class ProtocolError(ValueError):
    """An input broke one of the protocol's rules; the message says which."""
