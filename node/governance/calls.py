"""One GuardianOracle call, encoded once: the same calldata is sent from a key file, printed for
a multisig or a timelock, and written into a Safe Transaction Builder batch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from web3 import Web3

from node.artifacts import load_artifact


@lru_cache(maxsize=1)
def oracle_abi() -> list[dict]:
    return load_artifact("GuardianOracle")["abi"]


def function_abi(method: str) -> dict:
    found = [f for f in oracle_abi() if f.get("type") == "function" and f["name"] == method]
    if len(found) != 1:
        raise KeyError(f"GuardianOracle has no single function {method!r}")
    return found[0]


def _type_of(item: dict) -> str:
    """The canonical ABI type of one input (tuples spelled out, arrays kept)."""
    if not item["type"].startswith("tuple"):
        return item["type"]
    inner = ",".join(_type_of(c) for c in item["components"])
    return f"({inner}){item['type'][len('tuple'):]}"


def _plain(value):
    """A web3 argument as JSON-friendly text (bytes as 0x-hex, ints as strings)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return value
    return str(value)


@dataclass(frozen=True)
class OracleCall:
    """`method(args)` on the oracle at `to`; `data` is the calldata, `value` the wei sent with it
    (only `register`, which pays the refundable registration bond, sends any)."""

    to: str
    method: str
    args: tuple
    data: bytes
    value: int = 0

    @property
    def abi(self) -> dict:
        return function_abi(self.method)

    @property
    def signature(self) -> str:
        return f"{self.method}({','.join(_type_of(i) for i in self.abi['inputs'])})"

    def named_args(self) -> dict[str, object]:
        return {i["name"] or f"arg{n}": _plain(v)
                for n, (i, v) in enumerate(zip(self.abi["inputs"], self.args, strict=True))}

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.named_args().items())
        return f"{self.method}({inner})"


def encode_call(oracle: str, method: str, *args, value: int = 0) -> OracleCall:
    abi = function_abi(method)
    if value and abi.get("stateMutability") != "payable":
        raise ValueError(f"GuardianOracle.{method} takes no value")
    types = [_type_of(i) for i in abi["inputs"]]
    selector = keccak(f"{method}({','.join(types)})".encode())[:4]
    data = selector + abi_encode(types, list(args))
    return OracleCall(Web3.to_checksum_address(oracle), method, tuple(args), data, value)
