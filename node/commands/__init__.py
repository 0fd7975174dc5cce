"""One module per `guardian` subcommand group; `node.cli` wires them together."""


class CommandError(RuntimeError):
    """A user-facing error: printed as one line on stderr, exit code 2, no traceback."""
