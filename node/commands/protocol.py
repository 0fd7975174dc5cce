"""`guardian protocol register`: for protocol teams, register with the GuardianOracle."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.commands import CommandError


def add_parser(sub) -> None:
    proto = sub.add_parser("protocol", help="for protocol teams: register with the oracle")
    psub = proto.add_subparsers(dest="protocol_command", metavar="ACTION", required=True)
    reg = psub.add_parser(
        "register", help="register a protocol and its detection parameters",
        description="Register a protocol with the GuardianOracle. The transaction must come from "
                    "the target contract or the admin it declares (the key in --key-file).")
    reg.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    reg.add_argument("--oracle", required=True, help="GuardianOracle address")
    reg.add_argument("--target", required=True, help="the contract the containment acts on")
    reg.add_argument("--admin", required=True, help="the protocol's governance address")
    reg.add_argument("--actions", default="pause",
                     help="allowed containments: pause,circuit-breaker,collateral-lock")
    reg.add_argument("--hook", default="guardable", choices=("guardable", "selector"),
                     help="IGuardable hook, or a plain pause()-style selector")
    reg.add_argument("--selector", help="with --hook selector: the 4-byte selector, e.g. 0x8456cb59")
    reg.add_argument("--max-duration", type=int, default=3600,
                     help="longest containment in seconds (default %(default)s)")
    reg.add_argument("--cooldown", type=int, default=600,
                     help="seconds between containments (default %(default)s)")
    reg.add_argument("--monitored", action="append", default=[], help="monitored address (repeat)")
    reg.add_argument("--tokens", action="append", default=[], help="monitored token (repeat)")
    reg.add_argument("--outflow-limit-bps", type=int, default=0, help="outflow limit per window")
    reg.add_argument("--window-blocks", type=int, default=0, help="outflow window in blocks")
    reg.add_argument("--balance-drop-bps", type=int, default=0, help="limit for a one-block drop")
    reg.add_argument("--invariant", action="append", default=[],
                     help="invariant view call TARGET:CALLDATA that must return true (repeat)")
    reg.add_argument("--key-file", type=Path, required=True,
                     help="file with the hex private key that sends the transaction")
    reg.set_defaults(func=_register)


def _register(args: argparse.Namespace) -> int:
    from node.deploy import Deployer, DeployError
    from node.keys import KeyFileError, read_submitter_key
    from node.registration import RegistrationError, build_registration

    try:
        reg = build_registration(
            target=args.target, admin=args.admin, actions=args.actions, hook=args.hook,
            selector=args.selector, max_duration=args.max_duration, cooldown=args.cooldown,
            monitored=args.monitored, tokens=args.tokens,
            outflow_limit_bps=args.outflow_limit_bps, window_blocks=args.window_blocks,
            balance_drop_bps=args.balance_drop_bps, invariants=args.invariant)
        key = read_submitter_key(args.key_file)
        deployer = Deployer.connect(args.rpc, key)
        oracle = deployer.contract("GuardianOracle", args.oracle)
        receipt = deployer.transact("register", oracle.functions.register(reg.as_abi()))
    except (RegistrationError, KeyFileError, DeployError) as exc:
        raise CommandError(str(exc)) from exc
    pid = oracle.functions.protocolIdOf(deployer.w3.to_checksum_address(reg.target)).call()
    print(f"registered protocol 0x{bytes(pid).hex()} in block {receipt['blockNumber']}")
    return 0
