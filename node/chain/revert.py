"""Revert data to words: a custom error's name and arguments, from the ABIs we ship (the oracle's,
and the OpenZeppelin errors a protocol's hook most often fails with), or Solidity's Error(string)
and Panic(uint256).

    decode_revert(bytes.fromhex("8e4a23d6...")) -> Revert("GuardianOracleCooldownActive",
                                                          {"protocolId": "0x..", "availableAt": 1700000000})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from eth_abi import decode as abi_decode
from eth_hash.auto import keccak

from node.artifacts import load_artifact

# OpenZeppelin 5 errors a pause hook typically reverts with (AccessControl, Ownable, Pausable).
OPENZEPPELIN_ERRORS = (
    "AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
    "AccessControlBadConfirmation()",
    "OwnableUnauthorizedAccount(address account)",
    "OwnableInvalidOwner(address owner)",
    "EnforcedPause()",
    "ExpectedPause()",
    "ReentrancyGuardReentrantCall()",
)
PANIC_CODES = {0x01: "assert failed", 0x11: "arithmetic overflow", 0x12: "division by zero",
               0x21: "bad enum value", 0x22: "bad storage byte array", 0x31: "pop on empty array",
               0x32: "array index out of bounds", 0x41: "out of memory",
               0x51: "call to a zero function"}


@dataclass(frozen=True)
class Revert:
    name: str
    args: dict = field(default_factory=dict)

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items())
        return f"{self.name}({inner})"


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


def _show(value) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _selector(name: str, types) -> bytes:
    return keccak(f"{name}({','.join(types)})".encode())[:4]


def _parse_signature(text: str) -> _ErrorAbi:
    match = re.fullmatch(r"(\w+)\((.*)\)", text)
    if match is None:
        raise ValueError(f"not an error signature: {text}")
    params = [p.strip().split() for p in match.group(2).split(",") if p.strip()]
    return _ErrorAbi(match.group(1), tuple(p[1] if len(p) > 1 else f"arg{i}"
                                           for i, p in enumerate(params)),
                     tuple(p[0] for p in params))


@lru_cache(maxsize=1)
def known_errors() -> dict[bytes, _ErrorAbi]:
    errors = [_parse_signature(s) for s in OPENZEPPELIN_ERRORS]
    errors.append(_ErrorAbi("Error", ("message",), ("string",)))
    errors.append(_ErrorAbi("Panic", ("code",), ("uint256",)))
    for artifact in ("GuardianOracle", "CoverPool", "CoverPoolFactory"):
        for item in load_artifact(artifact)["abi"]:
            if item.get("type") == "error":
                errors.append(_ErrorAbi(item["name"],
                                        tuple(i["name"] or f"arg{n}"
                                              for n, i in enumerate(item["inputs"])),
                                        tuple(i["type"] for i in item["inputs"])))
    return {_selector(e.name, e.types): e for e in errors}


def decode_revert(data: bytes | str | None) -> Revert | None:
    """The error behind revert `data` (bytes or 0x-hex), or None when there is none; an unknown
    selector is named by its hex."""
    if data is None:
        return None
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            data = bytes.fromhex(text)
        except ValueError:
            return None
    if len(data) < 4:
        return Revert("EmptyRevert") if not data else None
    abi = known_errors().get(data[:4])
    if abi is None:
        return Revert(f"UnknownError_0x{data[:4].hex()}", {"data": data[4:]} if data[4:] else {})
    try:
        values = abi_decode(list(abi.types), data[4:])
    except Exception:  # noqa: BLE001 - malformed arguments: name the error anyway
        return Revert(abi.name, {"data": data[4:]})
    args = dict(zip(abi.names, values, strict=True))
    if abi.name == "Panic":
        args["meaning"] = PANIC_CODES.get(args["code"], "unknown panic")
    return Revert(abi.name, args)


_HEX = re.compile(r"0x[0-9a-fA-F]{8,}")


def revert_of(exc: BaseException) -> Revert | None:
    """The revert inside a web3 exception (ContractLogicError and friends carry the data in
    `.data` or in their message), or None."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, (bytes, str)):
        found = decode_revert(data)
        if found is not None:
            return found
    for arg in exc.args:
        for candidate in _HEX.findall(str(arg)):
            found = decode_revert(candidate)
            if found is not None and not found.name.startswith("UnknownError"):
                return found
    return None
