"""`guardian cover ...`: cover pools for a protocol's users (docs/cover.md). This module declares
the commands and their options; `cover_run` carries them out. State-changing commands send from
--key-file, or print the calls (--print-call) and/or write a Safe Transaction Builder batch
(--safe-json FILE), as `guardian protocol` does."""

from __future__ import annotations

from node.commands import Handlers
from node.commands.protocol import PROPOSE, _send


def add_parser(sub) -> None:
    run = Handlers("node.commands.cover_run")

    cover = sub.add_parser("cover", help="cover pools: create, fund, withdraw, show, claim",
                           description=__doc__)
    csub = cover.add_subparsers(dest="cover_command", metavar="COMMAND", required=True)

    create = csub.add_parser("create", help="create a cover pool (the protocol's admin)",
                             description="Create a cover pool for a registered protocol through "
                                         "the CoverPoolFactory. Only the protocol's registered "
                                         "admin may. " + PROPOSE)
    create.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    create.add_argument("--factory", required=True, help="CoverPoolFactory address")
    create.add_argument("--asset", required=True, help="the ERC-20 deposited and paid out")
    create.add_argument("--protocol-id", required=True, help="the covered protocol's id")
    create.add_argument("--claims-token", required=True,
                        help="the protocol's share/receipt token (holders at the snapshot claim)")
    create.add_argument("--max-payout", required=True, help="most one incident pays, in tokens")
    create.add_argument("--deductible", required=True, help="subtracted from each claim, in tokens")
    create.add_argument("--confirmation-window", type=int, default=3600,
                        help="seconds after a containment to confirm a breach (default 3600)")
    create.add_argument("--claim-period", type=int, default=7 * 86400,
                        help="seconds after a confirmation to claim (default 7 days)")
    create.add_argument("--symbol", default="COVER", help="suffix of the pool share's symbol")
    _send(create)
    create.set_defaults(func=run.create)

    fund = csub.add_parser("fund", help="deposit into a pool (underwriters)",
                           description="Approve the asset and deposit into the pool; the "
                                       "shares go to the sender. " + PROPOSE)
    fund.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    fund.add_argument("--pool", required=True, help="CoverPool address")
    fund.add_argument("--amount", required=True, help="tokens to deposit (decimals allowed)")
    _send(fund)
    fund.set_defaults(func=run.fund)

    withdraw = csub.add_parser("withdraw", help="redeem pool shares (refused in an incident window)",
                               description="Redeem shares for the asset, to the sender. Refused "
                                           "while an incident window is open. " + PROPOSE)
    withdraw.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    withdraw.add_argument("--pool", required=True, help="CoverPool address")
    withdraw.add_argument("--shares", help="shares to redeem (decimals allowed; default: all)")
    _send(withdraw)
    withdraw.set_defaults(func=run.withdraw)

    show = csub.add_parser("show", help="a pool's terms, assets, window and incidents")
    show.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    show.add_argument("--pool", required=True, help="CoverPool address")
    show.add_argument("--nonce", type=int, action="append", default=[],
                      help="also show the confirmation of this incident (repeatable)")
    show.set_defaults(func=run.show)

    claim = csub.add_parser("claim", help="claim an affected account's payout (anyone may send)",
                            description="Pay an account its share of a confirmed breach. The "
                                        "amount and proof come from a guardian's status server "
                                        "(--status-url) or are given. " + PROPOSE)
    claim.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    claim.add_argument("--pool", required=True, help="CoverPool address")
    claim.add_argument("--nonce", type=int, required=True, help="the incident (oracle nonce)")
    claim.add_argument("--account", required=True, help="the affected account (it is paid)")
    group = claim.add_mutually_exclusive_group(required=True)
    group.add_argument("--status-url", help="a guardian's status server, e.g. http://host:9100")
    group.add_argument("--proof", help="amount:0xproof1,0xproof2,... (base units)")
    _send(claim)
    claim.set_defaults(func=run.claim)
