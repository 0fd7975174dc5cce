"""`guardian protocol ...`: for protocol teams, their registration with the GuardianOracle and
what their governance does with it afterwards. This module declares the commands and their
options; `protocol_run` carries them out (through `node.governance`)."""

from __future__ import annotations

from pathlib import Path

from node.commands import Handlers

PROPOSE = ("Every state-changing command either sends the transaction from --key-file (after "
           "simulating it from that account) and prints its hash and gas used, or, for a Safe "
           "multisig or a timelock, prints the call with --print-call and/or writes a Safe "
           "Transaction Builder batch with --safe-json FILE (simulated from --from when given). "
           "`guardian protocol show` confirms the result once executed.")


def _chain(p) -> None:
    p.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    p.add_argument("--oracle", required=True, help="GuardianOracle address")


def _which(p) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--target", help="the registered target contract (its protocol id is "
                                        "keccak256(abi.encode(target)))")
    group.add_argument("--protocol-id", help="the protocol id, 0x + 64 hex digits")


def _send(p) -> None:
    p.add_argument("--key-file", type=Path,
                   help="file with the hex private key that sends the transaction (mode 0600)")
    p.add_argument("--print-call", action="store_true",
                   help="print the call (to, value, data) instead of sending it")
    p.add_argument("--safe-json", type=Path, metavar="FILE",
                   help="write a Safe Transaction Builder batch JSON with the call to FILE "
                        "instead of sending it")
    p.add_argument("--from", dest="sender", metavar="ADDRESS",
                   help="with --print-call/--safe-json: simulate the call from this account "
                        "(the Safe or timelock that will execute it)")


def _registration(p, *, update: bool) -> None:
    """The registration options; for `update` each defaults to the registered value."""
    keep = " (default: as registered)" if update else ""

    def d(value):
        return None if update else value

    if not update:
        p.add_argument("--target", required=True, help="the contract the containment acts on")
        p.add_argument("--admin", required=True,
                       help="the protocol's governance address (a Safe or a timelock): the only "
                            "account that may update, lift, extend or deregister")
    p.add_argument("--actions", default=d("pause"),
                   help="allowed containments, comma-separated: pause, circuit-breaker, "
                        "collateral-lock" + (keep or " (default pause)"))
    p.add_argument("--hook", default=d("guardable"), choices=("guardable", "selector"),
                   help="how the oracle calls the target: the IGuardable hook (a contract "
                        "inheriting Guardable), or a pause()-style selector (e.g. an OpenZeppelin "
                        "Pausable)" + keep)
    p.add_argument("--selector", help="with --hook selector: the pause function's 4-byte "
                                      "selector, 0x + 8 hex digits (0x8456cb59 is pause())" + keep)
    p.add_argument("--max-duration", type=int, default=d(3600),
                   help="longest containment in seconds, 3600..2592000" + (keep or
                                                                          " (default 3600)"))
    p.add_argument("--cooldown", type=int, default=d(600),
                   help="seconds after a containment ends before the next, 600..2592000"
                        + (keep or " (default 600)"))
    p.add_argument("--monitored", action="append", default=None,
                   help="a contract whose balances (and privileged changes) are watched "
                        "(repeat)" + keep)
    p.add_argument("--tokens", action="append", default=None,
                   help="a token whose balance in the monitored contracts is watched (repeat)"
                        + keep)
    p.add_argument("--outflow-limit-bps", type=int, default=d(0),
                   help="largest share of a monitored balance (basis points) that may leave "
                        "within --window-blocks; 0 turns the rule off" + keep)
    p.add_argument("--window-blocks", type=int, default=d(0),
                   help="the outflow rule's window in blocks, 1..50400" + keep)
    p.add_argument("--balance-drop-bps", type=int, default=d(0),
                   help="largest drop of a monitored balance in one block (basis points); 0 "
                        "turns the rule off" + keep)
    p.add_argument("--invariant", action="append", default=None,
                   help="a view call TARGET:CALLDATA that must return true, e.g. "
                        "0xPOOL:0x5ce23950 for isSolvent() (repeat)" + keep)
    if update:
        p.add_argument("--clear", action="append", default=[],
                       choices=("monitored", "tokens", "invariant"),
                       help="empty this list (repeat); a list option given replaces the registered "
                            "list anyway")


def add_parser(sub) -> None:
    run = Handlers("node.commands.protocol_run")

    proto = sub.add_parser(
        "protocol", help="for protocol teams: register with the oracle and govern it",
        description="Register a protocol with the GuardianOracle, show it, and act on it as its "
                    "admin: update, lift, extend, deregister, transfer-admin, accept-admin. "
                    + PROPOSE)
    psub = proto.add_subparsers(dest="protocol_command", metavar="ACTION", required=True)

    reg = psub.add_parser(
        "register", help="propose a protocol's registration and pay its refundable bond",
        description="Propose a protocol's registration, paying the oracle's refundable bond. "
                    "Only the target's owner(), a holder of its DEFAULT_ADMIN_ROLE or its "
                    "guardianGovernance() may register it (never the target itself); the hook "
                    "is tried at registration, so grant the oracle the pausing role first. The "
                    "--admin named must accept it (accept-registration) before it is in force, "
                    "unless the admin sends the registration itself. " + PROPOSE)
    _chain(reg)
    _registration(reg, update=False)
    reg.add_argument("--bond", type=int, metavar="WEI",
                     help="wei to send as the bond (default: the oracle's registrationBond() "
                          "now; all of it is refunded on deregistration)")
    _send(reg)
    reg.set_defaults(func=run.register)

    show = psub.add_parser(
        "show", help="print a protocol's registration and containment state",
        description="Print the registration (target, admin, pending admin, actions, hook, "
                    "limits, detection parameters), the containment record (action, engaged, "
                    "expires, hook succeeded, active), the nonce and the last release block.")
    _chain(show)
    _which(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(func=run.show)

    upd = psub.add_parser(
        "update", help="change a protocol's policy and detection rules (admin only)",
        description="Replace the registration's policy and detection rules; options not given "
                    "keep their registered value. The hook is proven again; a containment in "
                    "force keeps its expiry. " + PROPOSE)
    _chain(upd)
    _which(upd)
    _registration(upd, update=True)
    _send(upd)
    upd.set_defaults(func=run.update)

    _admin_command(
        psub, "lift", run.lift, "end the containment in force early (admin only)",
        "Lift the containment in force. A Guardable target is lifted by the oracle; an "
        "OpenZeppelin target stays paused until its governance calls unpause() (put both calls "
        "in one Safe batch). The cooldown starts now. " + PROPOSE)

    def expiry(ext) -> None:
        when = ext.add_mutually_exclusive_group(required=True)
        when.add_argument("--until", type=int, metavar="UNIX_TIME", help="the new expiry")
        when.add_argument("--by", type=int, metavar="SECONDS",
                          help="add this many seconds to the current expiry")

    _admin_command(
        psub, "extend", run.extend, "extend the containment in force (admin only)",
        "Move the containment's expiry later, at most 30 days after it was engaged (all "
        "extensions together). " + PROPOSE, expiry)
    _admin_command(
        psub, "deregister", run.deregister, "remove a protocol from the registry (admin only)",
        "Remove the registration. The nonce and the containment record stay, so old "
        "authorizations cannot be replayed after registering again. " + PROPOSE)

    def offer(tra) -> None:
        who = tra.add_mutually_exclusive_group(required=True)
        who.add_argument("--new-admin", help="the account offered the role")
        who.add_argument("--cancel", action="store_true", help="withdraw the pending offer")

    _admin_command(
        psub, "transfer-admin", run.transfer_admin,
        "offer the admin role to a new account (step 1 of 2)",
        "Offer the protocol's admin role to --new-admin, which takes it with accept-admin. "
        "--cancel withdraws an offer. " + PROPOSE, offer)
    _admin_command(
        psub, "accept-admin", run.accept_admin,
        "accept the admin role offered by transfer-admin (step 2 of 2)",
        "Take the protocol's admin role; only the offered account may. " + PROPOSE)
    _admin_command(
        psub, "accept-registration", run.accept_registration,
        "accept the admin role of a proposed registration, putting it in force",
        "Accept a registration proposed by `guardian protocol register` that names you (the "
        "--admin) as its admin: only then is it in force and counted against your quota. "
        + PROPOSE)
    _admin_command(
        psub, "cancel-registration", run.cancel_registration,
        "withdraw (registrant) or refuse (named admin) a proposed registration",
        "Drop a registration proposal that was not accepted; its bond goes back to the "
        "registrant (withdraw-refund). " + PROPOSE)
    _admin_command(
        psub, "evict", run.evict,
        "remove an entry whose target runs no code or whose hook stays broken (anyone)",
        "Evict a registration whose target has no code (or an EIP-7702 delegation to an address "
        "without code), or whose hook failed at an authorization at least the repair period ago "
        "and still fails; you receive its bond. A proposal never accepted expires the same way "
        "(its bond goes back to its registrant). " + PROPOSE)
    wd = psub.add_parser(
        "withdraw-refund", help="withdraw returned bonds and failed-hook payments",
        description="Send your account what the oracle holds for it: bonds of deregistered, "
                    "cancelled or evicted registrations, and what failed hooks paid a "
                    "submitter. " + PROPOSE)
    _chain(wd)
    _send(wd)
    wd.set_defaults(func=run.withdraw_refund)


def _admin_command(psub, name: str, func, help_text: str, description: str,
                   extra=None) -> None:
    """A governance command on one protocol: chain options, which protocol, its own options,
    then how to send it (key file, or the call for a Safe/timelock)."""
    parser = psub.add_parser(name, help=help_text, description=description)
    _chain(parser)
    _which(parser)
    if extra is not None:
        extra(parser)
    _send(parser)
    parser.set_defaults(func=func)
