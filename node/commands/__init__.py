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


class Handlers:
    """The command handlers of a module, imported only when one runs: `Handlers("node.x").go`
    is a function of the parsed arguments that imports node.x and calls its `go`. A parser that
    names its handlers this way costs no import of web3 or the chain clients, so `guardian --help`
    and every other command start quickly."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str):
        module = self._module

        def handler(args):
            import importlib

            return getattr(importlib.import_module(module), name)(args)

        handler.__name__ = handler.__qualname__ = name
        return handler
