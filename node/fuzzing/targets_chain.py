"""Fuzz targets for what the node reads from its chain endpoint (JSON-RPC answers, decoded by web3
into dicts, lists, strings, integers and bytes), the revert data it explains, the registration
values it builds from CLI arguments and from the oracle, and the status server's request line.

Structured inputs are msgpack (`harness.structured`): every type web3 can hand back, any shape."""

from __future__ import annotations

from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.heads import header_from_subscription
from node.chain.oracle import parse_containment, parse_registration
from node.chain.revert import Revert, decode_revert
from node.chain.rpc import header_from, log_record, receipt_from
from node.fuzzing.harness import Skip, Target, require, structured
from node.registration import RegistrationError, build_registration, registration_kwargs
from node.status_server import StatusServer


def scalars(data: bytes) -> None:
    value = structured(data)
    try:
        n = decode_uint(value, "value")
        require(isinstance(n, int) and not isinstance(n, bool) and n >= 0, f"uint {n!r}")
    except ChainError:
        pass
    raw = decode_bytes(value, None, "value")
    require(type(raw) is bytes, "decode_bytes gave no bytes")


def block(data: bytes) -> None:
    value = structured(data)
    for parse in (header_from, header_from_subscription):
        try:
            header = parse(value)
        except ChainError:
            continue
        require(len(header.hash) == 32 and header.number >= 0 and header.timestamp >= 0,
                f"accepted a bad header {header}")


def logs(data: bytes) -> None:
    entry = log_record(structured(data))
    require(len(entry.address) == 20 and all(len(t) == 32 for t in entry.topics),
            "accepted a bad log")


def receipt(data: bytes) -> None:
    got = receipt_from(structured(data))
    require(len(got.tx_hash) == 32 and all(len(e.tx_from) == 20 for e in got.logs),
            "accepted a bad receipt")


def registration(data: bytes) -> None:
    value = structured(data)
    reg = parse_registration(value)
    require(all(len(a) == 20 for a in (reg.target, reg.admin, *reg.monitored, *reg.tokens)),
            "accepted an address that is not 20 bytes")
    require(len(reg.pause_selector) == 4, "accepted a selector that is not 4 bytes")
    if any(v >= 2**256 for v in (reg.allowed_actions, reg.hook_kind, reg.max_duration,
                                 reg.cooldown, reg.outflow_limit_bps, reg.window_blocks,
                                 reg.balance_drop_bps)):
        return  # not an ABI value: web3 never hands these to registration_kwargs
    try:  # what `guardian protocol show|update` makes of it
        build_registration(**registration_kwargs(reg.as_abi()))
    except RegistrationError:
        pass


def containment(data: bytes) -> None:
    got = parse_containment(structured(data))
    require(min(got.action, got.engaged_at, got.expires_at) >= 0, "accepted a negative value")


_CLI_STRINGS = ("target", "admin", "actions", "hook", "selector")
_CLI_INTS = ("max_duration", "cooldown", "outflow_limit_bps", "window_blocks", "balance_drop_bps")
_CLI_LISTS = ("monitored", "tokens", "invariants")


def cli_registration(data: bytes) -> None:
    """`guardian protocol register|update` arguments, as argparse hands them over."""
    args = structured(data)
    if not isinstance(args, dict) or not {"target", "admin", "actions"} <= set(args):
        raise Skip()
    for name, value in args.items():
        ok = (name in _CLI_STRINGS and isinstance(value, str)
              or name in _CLI_INTS and type(value) is int
              or name in _CLI_LISTS and isinstance(value, list)
              and all(isinstance(v, str) for v in value))
        if not ok:
            raise Skip()
    reg = build_registration(**args)
    require(all(len(a) == 20 for a in (reg.target, reg.admin, *reg.monitored, *reg.tokens,
                                       *(t for t, _ in reg.invariants))),
            "accepted an address that is not 20 bytes")
    require(len(reg.pause_selector) == 4, "accepted a selector that is not 4 bytes")


def revert(data: bytes) -> None:
    for form in (data, "0x" + data.hex(), data.decode("latin-1")):
        found = decode_revert(form)
        require(found is None or isinstance(found, Revert) and isinstance(str(found), str),
                "decode_revert gave something else")


_STATUS = StatusServer("127.0.0.1", 0, lambda: {"ok": True}, lambda: b"# metrics\n")


def status_request(data: bytes) -> None:
    line = data.split(b"\n", 1)[0].decode("latin-1").strip() or None
    answer = _STATUS._route(line)
    require(answer.startswith(b"HTTP/1.1 "), "no HTTP status line")


TARGETS = (
    Target("rpc-scalars", "node.chain.decode: every integer and byte string an RPC answers",
           scalars, (ChainError,)),
    Target("rpc-block", "eth_getBlockByNumber answers and newHeads notifications", block,
           (ChainError,)),
    Target("rpc-log", "eth_getLogs entries", logs, (ChainError,)),
    Target("rpc-receipt", "eth_getTransactionReceipt answers", receipt, (ChainError,)),
    Target("rpc-registration", "oracle.getRegistration, and what `guardian protocol` builds of it",
           registration, (ChainError,)),
    Target("rpc-containment", "oracle.containment", containment, (ChainError,)),
    Target("revert-data", "node.chain.revert.decode_revert: revert data of failed calls", revert,
           ()),
    Target("cli-registration", "node.registration.build_registration: `guardian protocol` "
           "arguments", cli_registration, (RegistrationError,), "text"),
    Target("status-request", "the status server's HTTP request line", status_request, ()),
)
