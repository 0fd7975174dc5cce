"""One module per `guardian` subcommand group; `node.cli` wires them together."""

from node.errors import NodeError


class CommandError(NodeError, RuntimeError):
    """A user-facing error: printed as one line on stderr, exit code 2, no traceback."""
