"""What each `guardian protocol` command does (the options are declared in `protocol`)."""

from __future__ import annotations

import argparse
import json
import re

from web3 import Web3

from node.commands import CommandError
from protocol.digest import protocol_id as protocol_id_of

ZERO_ADDRESS = "0x" + "00" * 20


def _address(value: str, what: str) -> str:
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", value.strip()) is None:
        raise CommandError(f"{what}: expected a 0x-prefixed 20-byte address, got {value!r}")
    return Web3.to_checksum_address(value.strip())


def _protocol_id(args: argparse.Namespace) -> bytes:
    if getattr(args, "protocol_id", None):
        if re.fullmatch(r"0x[0-9a-fA-F]{64}", args.protocol_id) is None:
            raise CommandError(f"--protocol-id: expected 0x + 64 hex digits, got "
                               f"{args.protocol_id!r}")
        return bytes.fromhex(args.protocol_id[2:])
    return protocol_id_of(bytes.fromhex(_address(args.target, "--target")[2:]))


def _client(args: argparse.Namespace):
    from node.governance.client import GovernanceError, OracleClient

    _address(args.oracle, "--oracle")
    try:
        return OracleClient(args.rpc, args.oracle)
    except GovernanceError as exc:
        raise CommandError(str(exc)) from exc


def _mode(args: argparse.Namespace) -> None:
    proposing = args.print_call or args.safe_json is not None
    if args.key_file is None and not proposing:
        raise CommandError("give --key-file to send the transaction, or --print-call and/or "
                           "--safe-json FILE to propose it from a Safe or a timelock")
    if args.key_file is not None and proposing:
        raise CommandError("--key-file sends; --print-call/--safe-json propose: choose one")
    if args.sender is not None and not proposing:
        raise CommandError("--from is for --print-call/--safe-json (with --key-file the key's "
                           "account is the sender)")


def _execute(args: argparse.Namespace, client, method: str, *call_args, title: str,
             value: int = 0) -> int:
    """Send the call from --key-file, or print it / write it as a Safe batch."""
    from node.governance.calls import encode_call
    from node.governance.client import GovernanceError
    from node.governance.safe import safe_batch
    from node.keys import KeyFileError, read_submitter_key

    call = encode_call(client.address, method, *call_args, value=value)
    try:
        if args.key_file is not None:
            key = read_submitter_key(args.key_file)
            sent = client.send(call, key)
            print(f"{title}: {call.describe()}")
            print(f"transaction {sent.tx_hash} in block {sent.block}, gas used {sent.gas_used}")
            return 0
        if args.sender is not None:
            client.simulate(call, _address(args.sender, "--from"))
            print(f"simulated from {Web3.to_checksum_address(args.sender)}: succeeds")
        else:
            print("not simulated (give --from with the Safe's or timelock's address to check "
                  "it would succeed)")
    except (GovernanceError, KeyFileError) as exc:
        raise CommandError(str(exc)) from exc
    if args.print_call:
        print(f"call:  {call.describe()}")
        print(f"to:    {call.to}")
        print(f"value: {call.value}")
        print(f"data:  0x{call.data.hex()}")
    if args.safe_json is not None:
        batch = safe_batch(client.chain_id, [call], name=f"Guardian Network: {title}",
                           description=call.describe(),
                           safe=Web3.to_checksum_address(args.sender) if args.sender else None)
        try:
            args.safe_json.write_text(json.dumps(batch, indent=2) + "\n")
        except OSError as exc:
            raise CommandError(f"--safe-json: cannot write {args.safe_json}: "
                               f"{exc.strerror}") from exc
        print(f"wrote Safe Transaction Builder batch {args.safe_json} (chain {client.chain_id})")
    return 0


def _registration(kwargs: dict):
    from node.registration import RegistrationError, build_registration

    try:
        return build_registration(**kwargs)
    except RegistrationError as exc:
        raise CommandError(str(exc)) from exc


_REG_KEYS = ("actions", "hook", "selector", "max_duration", "cooldown", "monitored", "tokens",
             "outflow_limit_bps", "window_blocks", "balance_drop_bps", "invariant")


def register(args: argparse.Namespace) -> int:
    given = {k: getattr(args, k) for k in _REG_KEYS}
    given["invariants"] = given.pop("invariant") or []
    given["monitored"] = given["monitored"] or []
    given["tokens"] = given["tokens"] or []
    reg = _registration(dict(target=args.target, admin=args.admin, **given))
    _mode(args)
    client = _client(args)
    bond = _bond(args, client)
    code = _execute(args, client, "register", reg.as_abi(), title="register", value=bond)
    pid = protocol_id_of(reg.target)
    print(f"protocol id 0x{pid.hex()}")
    print(f"bond {bond} wei (refundable: deregister, then `guardian protocol withdraw-refund`)")
    sender = _sender_of(args)
    if sender is None or sender.lower() != Web3.to_checksum_address(reg.admin).lower():
        print(f"pending: {Web3.to_checksum_address(reg.admin)} must accept it with `guardian "
              f"protocol accept-registration --protocol-id 0x{pid.hex()}` before it is in force")
    else:
        print("in force: the admin registered it itself")
    return code


def _bond(args: argparse.Namespace, client) -> int:
    """The bond to send: --bond, or the oracle's current price (it rises as the registry fills;
    whatever is sent is refundable, so --bond may add headroom for a Safe batch signed later)."""
    price = _read(client, "registrationBond", client.oracle.functions.registrationBond())
    if args.bond is None:
        return int(price)
    if args.bond < 0 or args.bond >= 2**96:
        raise CommandError("--bond: expected 0 <= wei < 2**96")
    if args.bond < price:
        raise CommandError(f"--bond: the registry's price is {price} wei now; send at least that")
    return args.bond


def _sender_of(args: argparse.Namespace) -> str | None:
    """The account the call is sent or proposed from, when known."""
    if args.key_file is not None:
        from eth_account import Account

        from node.keys import KeyFileError, read_submitter_key
        try:
            return Account.from_key(read_submitter_key(args.key_file)).address
        except KeyFileError:
            return None
    return args.sender


def update(args: argparse.Namespace) -> int:
    from node.registration import RegistrationError, registration_kwargs

    _mode(args)
    pid = _protocol_id(args)
    client = _client(args)
    try:
        current = registration_kwargs(_read(client, "getRegistration",
                                            client.oracle.functions.getRegistration(pid)))
    except RegistrationError as exc:  # e.g. a hook kind this CLI does not know
        raise CommandError(f"the oracle's registration of 0x{pid.hex()}: {exc}") from exc
    for name in args.clear:
        current["invariants" if name == "invariant" else name] = []
    for key in _REG_KEYS:
        value = getattr(args, key)
        if value is not None:  # given: replaces the registered value (a list: the whole list)
            current["invariants" if key == "invariant" else key] = value
    if args.hook == "guardable" and args.selector is None:
        current["selector"] = None
    reg = _registration(current)
    return _execute(args, client, "updateRegistration", pid, reg.as_abi(), title="update")


def _read(client, what, fn):
    from node.governance.client import GovernanceError

    try:
        return client.read(what, fn)
    except GovernanceError as exc:
        raise CommandError(str(exc)) from exc


def show(args: argparse.Namespace) -> int:
    from node.governance.client import GovernanceError
    from node.governance.view import read_protocol, render
    from node.registration import RegistrationError

    pid = _protocol_id(args)
    client = _client(args)
    try:
        doc = read_protocol(client, pid)
    except (GovernanceError, RegistrationError) as exc:  # an answer the oracle cannot give
        raise CommandError(str(exc)) from exc
    print(json.dumps(doc, indent=2) if args.json else render(doc))
    return 0


def lift(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "liftContainment", pid, title="lift")


def extend(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    client = _client(args)
    until = args.until
    if args.by is not None:
        if args.by <= 0:
            raise CommandError("--by: must be a positive number of seconds")
        _, _, expires, _, active = _read(client, "containment",
                                         client.oracle.functions.containment(pid))
        if not active:
            raise CommandError("no containment is in force for this protocol (see `guardian "
                               "protocol show`); --by extends the current expiry")
        until = expires + args.by
    if until is None or until <= 0 or until >= 2**64:
        raise CommandError("--until: expected a unix time in seconds")
    return _execute(args, client, "extendContainment", pid, until, title="extend")


def deregister(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "deregister", pid, title="deregister")


def transfer_admin(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    new_admin = ZERO_ADDRESS if args.cancel else _address(args.new_admin, "--new-admin")
    return _execute(args, _client(args), "transferProtocolAdmin", pid,
                    Web3.to_checksum_address(new_admin), title="transfer admin")


def accept_admin(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "acceptProtocolAdmin", pid, title="accept admin")



def accept_registration(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "acceptRegistration", pid, title="accept registration")


def cancel_registration(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "cancelRegistration", pid, title="cancel registration")


def evict(args: argparse.Namespace) -> int:
    _mode(args)
    pid = _protocol_id(args)
    return _execute(args, _client(args), "evict", pid, title="evict")


def withdraw_refund(args: argparse.Namespace) -> int:
    _mode(args)
    return _execute(args, _client(args), "withdrawBondRefund", title="withdraw bond refund")
