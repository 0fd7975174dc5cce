"""`guardian devnet ...`: the local devnet (filled in by node/devnet/runner.py)."""

from __future__ import annotations

import argparse

from node.commands import CommandError


def add_parser(sub) -> None:
    devnet = sub.add_parser("devnet", help="run a local devnet that contains a demo exploit")
    devnet.set_defaults(func=_unavailable)


def _unavailable(args: argparse.Namespace) -> int:
    raise CommandError("not built yet")
