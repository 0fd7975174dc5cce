"""One module per `guardian` subcommand group; `node.cli` wires them together."""

from node.errors import NodeError


class CommandError(NodeError, RuntimeError):
    """A user-facing error: printed as one line on stderr, exit code 2, no traceback."""


def key_file_errors_as_command_errors(fn):
    """Run `fn()`; a key-file or OS error becomes a one-line CommandError."""
    from node.keys import KeyFileError

    try:
        return fn()
    except KeyFileError as exc:
        raise CommandError(str(exc)) from exc
    except OSError as exc:
        raise CommandError(f"{exc.filename}: {exc.strerror}") from exc
