"""The `guardian` command line: one subcommand per job an operator, a protocol team or a developer
has. Each lives in `node/commands/`; this file only wires them together and turns user errors
into one clear line on stderr with exit code 2 (never a traceback)."""

from __future__ import annotations

import argparse
import sys

from node import __version__
from node.commands import CommandError
from node.recursion import bound_recursion


def build_parser() -> argparse.ArgumentParser:
    from node.commands import audit, cover, dkg, explorer, key_rotation, keys, protocol, run, status
    from node.devnet import cli as devnet

    parser = argparse.ArgumentParser(
        prog="guardian",
        description="Guardian Network node: detect DeFi exploits and contain them with "
                    "threshold BLS consensus.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    version = sub.add_parser("version", help="print the version and exit")
    version.set_defaults(func=_version)
    keys.add_parser(sub)
    dkg.add_parser(sub)
    run.add_parser(sub)
    status.add_parser(sub)
    protocol.add_parser(sub)
    key_rotation.add_parser(sub)
    cover.add_parser(sub)
    devnet.add_parser(sub)
    audit.add_parser(sub)
    explorer.add_parser(sub)
    return parser


def _version(args: argparse.Namespace) -> int:
    print(f"guardian {__version__}")
    return 0


def main(argv: list[str] | None = None) -> int:
    bound_recursion()  # before any untrusted input is parsed (node/recursion.py)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"guardian {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"guardian {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
