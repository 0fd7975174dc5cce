"""The node's one base error: every error the node raises on purpose derives from `NodeError`,
so a caller can tell "the node refused, and says why" from a bug."""


class NodeError(Exception):
    """An error the node raises on purpose; the message says what is wrong and, where it can,
    what to do about it."""
