"""The `guardian` command line: one subcommand per job an operator, a protocol team or a developer
has. Each subcommand lives in its own module; this file only wires them together."""

from __future__ import annotations

import argparse
import sys

from node import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardian",
        description="Guardian Network node: detect DeFi exploits and contain them with "
                    "threshold BLS consensus.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    version = sub.add_parser("version", help="print the version and exit")
    version.set_defaults(func=_version)
    devnet = sub.add_parser("devnet", help="run a local devnet that contains a demo exploit")
    devnet.set_defaults(func=_devnet_unavailable)
    return parser


def _version(args: argparse.Namespace) -> int:
    print(f"guardian {__version__}")
    return 0


def _devnet_unavailable(args: argparse.Namespace) -> int:
    print("guardian devnet: not built yet (the devnet issue adds it)", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
