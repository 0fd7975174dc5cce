"""The `authorize` transaction under audit: fetched from the caller's RPC, decoded with the oracle's
ABI, its receipt read. Everything is untrusted (the hash is typed by a user, the answers come from
an RPC): each problem is an `AuditError` that says what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from web3.exceptions import Web3Exception

from node.artifacts import load_artifact
from node.chain.decode import ChainError
from node.chain.rpc import ChainRpc
from node.errors import NodeError

_ABI = load_artifact("GuardianOracle")["abi"]
_AUTHORIZE = next(i for i in _ABI if i.get("type") == "function" and i["name"] == "authorize")
AUTHORIZE_SELECTOR = function_abi_to_4byte_selector(_AUTHORIZE)
_ENGAGED = next(i for i in _ABI if i.get("type") == "event" and i["name"] == "ContainmentEngaged")
ENGAGED_TOPIC = event_abi_to_log_topic(_ENGAGED)
_ENGAGED_DATA = [i["type"] for i in _ENGAGED["inputs"] if not i["indexed"]]
_TX_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class AuditError(NodeError, RuntimeError):
    """The audit cannot run (bad input, not an authorize transaction, RPC failure)."""


@dataclass(frozen=True)
class AuthorizeCall:
    tx_hash: bytes
    block: int
    sender: bytes
    oracle: bytes
    target: bytes
    action: int
    nonce: int
    deadline: int
    evidence_from_block: int
    evidence_hash: bytes
    signature: bytes  # EIP-2537 G2, as sent
    hook_succeeded: bool | None  # from ContainmentEngaged; None if the event is missing
    expires_at: int | None


def parse_tx_hash(text: str) -> bytes:
    if not isinstance(text, str) or not _TX_HASH.match(text.strip()):
        raise AuditError(f"{text!r} is not a transaction hash (0x followed by 64 hex digits)")
    return bytes.fromhex(text.strip().removeprefix("0x"))


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def decode_authorize(data: bytes) -> tuple:
    """(target, action, nonce, deadline, evidenceFromBlock, evidenceHash, signature)."""
    if data[:4] != AUTHORIZE_SELECTOR:
        raise AuditError(f"not an authorize transaction: its input starts 0x{data[:4].hex()}, "
                         f"authorize is 0x{AUTHORIZE_SELECTOR.hex()}")
    try:
        types = [i["type"] for i in _AUTHORIZE["inputs"]]
        target, action, nonce, deadline, from_block, ev_hash, sig = abi_decode(types, data[4:])
    except Exception as exc:  # noqa: BLE001 - eth_abi's error set is not closed
        raise AuditError(f"authorize calldata does not decode: {exc}") from exc
    return (_bytes(target), action, nonce, deadline, from_block, bytes(ev_hash), bytes(sig))


def _engaged(receipt, oracle: bytes) -> tuple[bool | None, int | None]:
    for entry in receipt.logs:
        if entry.address == oracle and entry.topics[:1] == (ENGAGED_TOPIC,):
            try:
                _action, _nonce, _from, _hash, expires, ok = abi_decode(_ENGAGED_DATA, entry.data)
            except Exception:  # noqa: BLE001 - a malformed log is no engagement
                continue
            return bool(ok), int(expires)
    return None, None


async def load_authorize(rpc: ChainRpc, tx_hash: bytes,
                         oracle: bytes | None = None) -> AuthorizeCall:
    """The authorize transaction `tx_hash`; with `oracle`, refused unless it called that one (a
    look-alike contract can emit the same event and answer the same views)."""
    def fetch() -> Any:
        try:
            return rpc.w3.eth.get_transaction(tx_hash)
        except Web3Exception as exc:  # TransactionNotFound
            if "not found" in str(exc).lower():
                return None
            raise

    try:
        tx = await rpc._run("eth_getTransactionByHash", fetch)
        receipt = await rpc.receipt(tx_hash)
    except ChainError as exc:
        raise AuditError(str(exc)) from exc
    name = "0x" + tx_hash.hex()
    if tx is None:
        raise AuditError(f"transaction {name} is not known to the RPC {rpc.url}")
    if not tx.get("to"):
        raise AuditError(f"transaction {name} creates a contract: not an authorize transaction")
    try:
        called, data, sender = _bytes(tx["to"]), _bytes(tx["input"]), _bytes(tx["from"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError(f"the RPC's answer for {name} is malformed: {exc!r}") from exc
    if oracle is not None and called != oracle:
        raise AuditError(f"transaction {name} calls 0x{called.hex()}, not the oracle "
                         f"0x{oracle.hex()}")
    oracle = called
    fields = decode_authorize(data)
    if receipt is None:
        raise AuditError(f"transaction {name} is not mined yet")
    if not receipt.ok:
        raise AuditError(f"transaction {name} reverted (block {receipt.block}): the oracle "
                         "refused it, so it contained nothing")
    hook_ok, expires = _engaged(receipt, oracle)
    if hook_ok is None:
        raise AuditError(f"transaction {name} emitted no ContainmentEngaged from "
                         f"0x{oracle.hex()}: not a GuardianOracle containment")
    target, action, nonce, deadline, from_block, ev_hash, sig = fields
    return AuthorizeCall(tx_hash=tx_hash, block=receipt.block, sender=sender,
                         oracle=oracle, target=target, action=action, nonce=nonce,
                         deadline=deadline, evidence_from_block=from_block,
                         evidence_hash=ev_hash, signature=sig, hook_succeeded=hook_ok,
                         expires_at=expires)
