"""`guardian explorer --rpc URL --oracle ADDR --guardian URL ...`: serve the incident explorer
(read-only, no login) on a local port. `--once FILE` writes the page once and exits."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from node.commands import CommandError

# The explorer's modules (web3, the audit) load when the command runs, not with the parser.


def add_parser(sub) -> None:
    p = sub.add_parser("explorer", help="serve the incident explorer page",
                       description="Read the oracle's registry and containments from the chain "
                                   "and the guardians' status servers, audit every containment, "
                                   "and serve it all as one HTML page.")
    p.add_argument("--rpc", required=True, help="JSON-RPC endpoint (HTTP)")
    p.add_argument("--oracle", required=True, help="the GuardianOracle address")
    p.add_argument("--guardian", action="append", default=[], metavar="URL",
                   help="a guardian's status URL (repeat)")
    p.add_argument("--listen", default="127.0.0.1:8600", help="host:port (default %(default)s)")
    p.add_argument("--from-block", type=int, default=0, help="first block scanned for "
                                                             "containments (default 0)")
    p.add_argument("--refresh", type=float, default=2.0, help="seconds between refreshes")
    p.add_argument("--once", type=Path, metavar="FILE", help="write the page to FILE and exit")
    p.set_defaults(func=_explorer)


def _oracle(text: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 20:
        raise CommandError(f"--oracle {text!r} is not a 20-byte 0x address")
    return value


def _explorer(args: argparse.Namespace) -> int:
    import trio

    from node.explorer.page import render_index
    from node.explorer.server import serve
    from node.explorer.snapshot import Explorer

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit() or args.refresh <= 0:
        raise CommandError("--listen must be host:port and --refresh positive")
    explorer = Explorer(args.rpc, _oracle(args.oracle), args.guardian, args.from_block)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.once:
        snap = trio.run(explorer.refresh)
        args.once.write_text(render_index(snap).decode())
        return 0 if not snap.get("error") else 1

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            bound = await nursery.start(serve, explorer, host, int(port), args.refresh)
            print(f"explorer on http://{host}:{bound}/", flush=True)

    trio.run(main)
    return 0
