"""A protocol's registration with the GuardianOracle, as the CLI and the devnet build it, with
validation that mirrors the contract's (so mistakes are caught before a transaction is sent)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from protocol.digest import Action
from protocol.intent import claims_marker
from protocol.oracle_limits import (
    HOOK_KIND_GUARDABLE,
    HOOK_KIND_SELECTOR,
    MAX_BPS,
    MAX_COOLDOWN,
    MAX_INVARIANT_CALLDATA,
    MAX_WINDOW_BLOCKS,
    MIN_CONTAINMENT_DURATION,
    MIN_COOLDOWN,
)
from protocol.oracle_limits import MAX_CONTAINMENT_DURATION as MAX_DURATION
from protocol.oracle_limits import MAX_DETECTION_ENTRIES as MAX_ENTRIES

ACTION_NAMES = {"pause": Action.PAUSE, "circuit-breaker": Action.CIRCUIT_BREAKER,
                "collateral-lock": Action.COLLATERAL_LOCK}
HOOK_KINDS = {"guardable": HOOK_KIND_GUARDABLE, "selector": HOOK_KIND_SELECTOR}


class RegistrationError(ValueError):
    """An invalid registration parameter; the message names it."""


@dataclass(frozen=True)
class Registration:
    target: bytes
    admin: bytes
    allowed_actions: int
    hook_kind: int
    pause_selector: bytes
    max_duration: int
    cooldown: int
    monitored: tuple[bytes, ...]
    tokens: tuple[bytes, ...]
    outflow_limit_bps: int
    window_blocks: int
    balance_drop_bps: int
    invariants: tuple[tuple[bytes, bytes], ...]

    def as_abi(self) -> tuple:
        """The RegistrationParams tuple for web3."""
        def a(b: bytes) -> str:
            from web3 import Web3
            return Web3.to_checksum_address(b)

        return (a(self.target), a(self.admin), self.allowed_actions, self.hook_kind,
                self.pause_selector, self.max_duration, self.cooldown,
                ([a(m) for m in self.monitored], [a(t) for t in self.tokens],
                 self.outflow_limit_bps, self.window_blocks, self.balance_drop_bps,
                 [(a(t), d) for t, d in self.invariants]))


def parse_address(value: str, what: str) -> bytes:
    text = value.strip()
    if not text.startswith("0x") or len(text) != 42:
        raise RegistrationError(f"{what}: expected a 0x-prefixed 20-byte address, got {value!r}")
    if re.fullmatch(r"[0-9a-fA-F]{40}", text[2:]) is None:  # fromhex would skip spaces
        raise RegistrationError(f"{what}: not hex: {value!r}")
    return bytes.fromhex(text[2:])


def parse_actions(value: str) -> int:
    mask = 0
    for name in filter(None, (v.strip() for v in value.split(","))):
        if name not in ACTION_NAMES:
            raise RegistrationError(f"--actions: unknown action {name!r}; choose from "
                                    f"{', '.join(ACTION_NAMES)}")
        mask |= 1 << int(ACTION_NAMES[name])
    if not mask:
        raise RegistrationError("--actions: at least one containment action is needed")
    return mask


def parse_selector(value: str) -> bytes:
    """A function selector written 0x + 8 hex digits, not zero."""
    text = value.strip()
    if re.fullmatch(r"0x[0-9a-fA-F]{8}", text) is None:
        raise RegistrationError(f"--selector: expected 0x and 8 hex digits (e.g. 0x8456cb59), "
                                f"got {value!r}")
    if int(text, 16) == 0:
        raise RegistrationError("--selector: the zero selector is no function")
    return bytes.fromhex(text[2:])


def parse_invariant(value: str) -> tuple[bytes, bytes]:
    target, sep, data = value.partition(":")
    if not sep:
        raise RegistrationError(f"--invariant: expected TARGET:CALLDATA, got {value!r}")
    hex_digits = data.strip().removeprefix("0x")
    if re.fullmatch(r"([0-9a-fA-F]{2})*", hex_digits) is None:
        raise RegistrationError(f"--invariant: calldata is not hex: {data!r}")
    calldata = bytes.fromhex(hex_digits)
    if not 4 <= len(calldata) <= MAX_INVARIANT_CALLDATA:
        raise RegistrationError(f"--invariant: calldata must be 4..{MAX_INVARIANT_CALLDATA} bytes")
    return parse_address(target, "--invariant target"), calldata


def claims_invariant(adapter: str) -> str:
    """The `--invariant` value that registers `adapter`'s `claimOf(address,address)` as the
    protocol's claims view (an entry whose calldata is exactly the selector: a marker, not an
    invariant; `protocol.intent.split_claims`)."""
    target, selector = claims_marker(parse_address(adapter, "claims adapter"))
    return f"0x{target.hex()}:0x{selector.hex()}"


def build_registration(*, target: str, admin: str, actions: str, hook: str = "guardable",
                       selector: str | None = None, max_duration: int = 3600,
                       cooldown: int = 600, monitored: list[str] = (), tokens: list[str] = (),
                       outflow_limit_bps: int = 0, window_blocks: int = 0,
                       balance_drop_bps: int = 0, invariants: list[str] = ()) -> Registration:
    target_address = parse_address(target, "--target")
    admin_address = parse_address(admin, "--admin")
    allowed_actions = parse_actions(actions)
    if hook not in HOOK_KINDS:
        raise RegistrationError(f"--hook: choose guardable or selector, got {hook!r}")
    pause_selector = b"\x00" * 4
    if hook == "selector":
        if not selector:
            raise RegistrationError("--selector is required with --hook selector (e.g. 0x8456cb59"
                                    " for pause())")
        pause_selector = parse_selector(selector)
    elif selector:
        raise RegistrationError("--selector is only for --hook selector (a Guardable target is "
                                "called through IGuardable); add --hook selector or drop "
                                "--selector")
    if not MIN_CONTAINMENT_DURATION <= max_duration <= MAX_DURATION:
        raise RegistrationError(
            f"--max-duration: must be {MIN_CONTAINMENT_DURATION}..{MAX_DURATION} seconds")
    if not MIN_COOLDOWN <= cooldown <= MAX_COOLDOWN:
        raise RegistrationError(f"--cooldown: must be {MIN_COOLDOWN}..{MAX_COOLDOWN} seconds")
    for name, bps in (("--outflow-limit-bps", outflow_limit_bps),
                      ("--balance-drop-bps", balance_drop_bps)):
        if not 0 <= bps <= MAX_BPS:
            raise RegistrationError(f"{name}: must be 0..{MAX_BPS}, got {bps}")
    if not 0 <= window_blocks <= MAX_WINDOW_BLOCKS:
        raise RegistrationError(f"--window-blocks: must be 0..{MAX_WINDOW_BLOCKS}")
    if outflow_limit_bps and not window_blocks:
        raise RegistrationError(f"--window-blocks: needed (1..{MAX_WINDOW_BLOCKS}) with "
                                "--outflow-limit-bps")
    if not (outflow_limit_bps or balance_drop_bps or invariants or monitored):
        raise RegistrationError(
            "no detection rule: give at least one of --outflow-limit-bps (with --window-blocks), "
            "--balance-drop-bps, --invariant, or --monitored (privileged changes); the guardians "
            "would otherwise never detect anything for this protocol")
    if (outflow_limit_bps or balance_drop_bps) and not (monitored and tokens):
        raise RegistrationError("--outflow-limit-bps and --balance-drop-bps watch the balances "
                                "of --monitored contracts in --tokens: give at least one of each")
    lists = {"--monitored": monitored, "--tokens": tokens, "--invariant": invariants}
    for name, items in lists.items():
        if len(items) > MAX_ENTRIES:
            raise RegistrationError(f"{name}: at most {MAX_ENTRIES} entries")
    return Registration(
        target=target_address, admin=admin_address,
        allowed_actions=allowed_actions, hook_kind=HOOK_KINDS[hook],
        pause_selector=pause_selector, max_duration=max_duration, cooldown=cooldown,
        monitored=tuple(parse_address(m, "--monitored") for m in monitored),
        tokens=tuple(parse_address(t, "--tokens") for t in tokens),
        outflow_limit_bps=outflow_limit_bps, window_blocks=window_blocks,
        balance_drop_bps=balance_drop_bps,
        invariants=tuple(parse_invariant(i) for i in invariants))


def registration_kwargs(params) -> dict:
    """`build_registration` keyword arguments for a RegistrationParams tuple read from the oracle
    (`getRegistration`), so that `guardian protocol update` changes only what it is given."""
    target, admin, actions, hook_kind, selector, max_duration, cooldown, detection = params
    monitored, tokens, outflow, window, drop, invariants = detection
    names = [name for name, action in ACTION_NAMES.items() if actions & (1 << int(action))]
    hook = next((name for name, kind in HOOK_KINDS.items() if kind == hook_kind), None)
    if hook is None:
        raise RegistrationError(f"the oracle's registration has an unknown hook kind {hook_kind}")
    return dict(target=target, admin=admin, actions=",".join(names), hook=hook,
                selector=("0x" + bytes(selector).hex()) if hook == "selector" else None,
                max_duration=max_duration, cooldown=cooldown, monitored=list(monitored),
                tokens=list(tokens), outflow_limit_bps=outflow, window_blocks=window,
                balance_drop_bps=drop,
                invariants=[f"{t}:0x{bytes(d).hex()}" for t, d in invariants])
