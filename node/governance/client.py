"""The chain side of a governance command: connect, simulate a call from its sender (eth_call),
send it from a key file, and read a protocol's registration and containment. Every failure is a
`GovernanceError` with one clear line; a revert is decoded (`node.chain.revert`) with a hint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from node.chain.revert import Revert, revert_of
from node.errors import NodeError
from node.governance.calls import OracleCall, oracle_abi
from node.governance.hints import explain


class GovernanceError(NodeError, RuntimeError):
    """A governance command cannot go on; the message says why in one line (plus a hint)."""


class WouldRevert(GovernanceError):
    def __init__(self, what: str, revert: Revert):
        super().__init__(f"{what} would revert: {explain(revert)}")
        self.revert = revert


@dataclass(frozen=True)
class Sent:
    tx_hash: str
    block: int
    gas_used: int


class OracleClient:
    def __init__(self, rpc_url: str, oracle: str, timeout: float = 60.0):
        self.rpc_url = rpc_url
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 15}))
        self.timeout = timeout
        try:
            self.chain_id = self.w3.eth.chain_id
        except Exception as exc:  # noqa: BLE001 - any transport failure means unreachable
            raise GovernanceError(f"cannot reach the chain RPC at {rpc_url}: "
                                  f"{type(exc).__name__}") from exc
        self.address = Web3.to_checksum_address(oracle)
        if not self.w3.eth.get_code(self.address):
            raise GovernanceError(f"no contract at --oracle {self.address} on chain "
                                  f"{self.chain_id} ({rpc_url})")
        self.oracle = self.w3.eth.contract(address=self.address, abi=oracle_abi())

    def read(self, what: str, fn) -> Any:
        """A view call; a revert or a transport failure becomes a GovernanceError."""
        try:
            return fn.call()
        except Exception as exc:  # noqa: BLE001 - decoded below
            revert = revert_of(exc)
            if revert is not None:
                raise WouldRevert(what, revert) from exc
            raise GovernanceError(f"{what}: {type(exc).__name__}: {exc}") from exc

    def simulate(self, call: OracleCall, sender: str) -> None:
        """eth_call `call` from `sender` at the latest block; raises WouldRevert."""
        tx = {"from": Web3.to_checksum_address(sender), "to": call.to, "data": call.data,
              "value": call.value}
        try:
            self.w3.eth.call(tx, "latest")
        except Exception as exc:  # noqa: BLE001 - a revert, or the RPC failing
            revert = revert_of(exc)
            if revert is not None:
                raise WouldRevert(call.method, revert) from exc
            raise GovernanceError(f"{call.method}: simulation failed: {exc}") from exc

    def send(self, call: OracleCall, private_key: bytes) -> Sent:
        account = Account.from_key(private_key)
        self.simulate(call, account.address)
        tx: dict[str, Any] = {"from": account.address, "to": call.to, "data": call.data,
                              "value": call.value, "chainId": self.chain_id}
        try:
            tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 1.2) + 20_000
            tx["nonce"] = self.w3.eth.get_transaction_count(account.address, "pending")
            base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
            tx["maxPriorityFeePerGas"] = 10**9
            tx["maxFeePerGas"] = 2 * base + 10**9
            signed = account.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - funds, nonce, timeouts: say which
            revert = revert_of(exc)
            if revert is not None:
                raise WouldRevert(call.method, revert) from exc
            raise GovernanceError(f"{call.method}: sending from {account.address} failed: "
                                  f"{exc}") from exc
        sent = Sent("0x" + bytes(tx_hash).hex(), receipt["blockNumber"], receipt["gasUsed"])
        if receipt["status"] != 1:
            raise GovernanceError(f"{call.method}: transaction {sent.tx_hash} reverted in block "
                                  f"{sent.block} (gas used {sent.gas_used})")
        return sent

    def head_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])
