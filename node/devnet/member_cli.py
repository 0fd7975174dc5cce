"""`guardian devnet member`: one guardian container of the compose testnet makes its own keys,
runs its own ceremony participant and then the node (`node.devnet.members`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.commands import CommandError


def add_member_parser(dsub) -> None:
    member = dsub.add_parser(
        "member", help="one guardian container: its own keys and ceremony, then the node",
        description="Make this guardian's keys in --dir (kept if present), publish its public "
                    "entry in --shared, run its ceremony participant when the deployer's "
                    "ceremony file appears, publish its guardian set, wait for its config and "
                    "run the node. Secrets never leave --dir.")
    member.add_argument("--index", type=int, required=True, help="this guardian's index")
    member.add_argument("--dir", type=Path, required=True, help="this guardian's own directory")
    member.add_argument("--shared", type=Path, required=True, help="the public shared directory")
    member.add_argument("--host", required=True, help="how the others reach this guardian")
    member.add_argument("--ceremony-port", type=int, default=9400)
    member.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for each of the others' files")
    member.add_argument("--no-run", action="store_true", help="stop before running the node")
    member.set_defaults(func=_member)


def _member(args: argparse.Namespace) -> int:
    from node.devnet.members import MemberError, run_member
    from node.devnet.network import DEVNET_KDF_N

    try:
        config = run_member(args.index, args.dir, args.shared, args.host, kdf_n=DEVNET_KDF_N,
                            port=args.ceremony_port, timeout=args.timeout,
                            say=lambda m: print(m, flush=True))
    except MemberError as exc:
        raise CommandError(str(exc)) from exc
    if args.no_run:
        print(f"config {config}")
        return 0
    from node.commands.run import _run as run_node  # the `guardian run` command, in-process

    return run_node(argparse.Namespace(config=config))
