"""Deploy and call contracts from the shipped artifacts (used by the devnet, the docker deployer,
`guardian protocol register` and tests). Synchronous web3: these are one-shot scripts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.providers.rpc import HTTPProvider

from node.artifacts import load_artifact
from node.errors import NodeError

log = logging.getLogger("guardian.deploy")


class DeployError(NodeError, RuntimeError):
    """A deployment or transaction failed; the message names the contract or the call."""


@dataclass
class Deployer:
    """Sends transactions from one account, waiting for each receipt."""

    w3: Web3
    account: LocalAccount
    timeout: float = 60.0
    gas_used: dict[str, int] | None = None

    @classmethod
    def connect(cls, rpc_url: str, private_key: bytes | str, timeout: float = 60.0) -> Deployer:
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
        if not w3.is_connected():
            raise DeployError(f"cannot reach the RPC endpoint at {rpc_url}")
        return cls(w3, Account.from_key(private_key), timeout, {})

    @property
    def address(self) -> str:
        return self.account.address

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=load_artifact(name)["abi"])

    def _send(self, what: str, tx: dict[str, Any]) -> Any:
        tx.setdefault("from", self.account.address)
        tx.setdefault("chainId", self.w3.eth.chain_id)
        tx["nonce"] = self.w3.eth.get_transaction_count(self.account.address, "pending")
        if "gasPrice" not in tx and "maxFeePerGas" not in tx:
            base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
            tx["maxPriorityFeePerGas"] = 10**9
            tx["maxFeePerGas"] = 2 * base + 10**9
        if "gas" not in tx:
            try:
                tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 1.2) + 20_000
            except Exception as exc:  # noqa: BLE001 - surface the revert reason with context
                raise DeployError(f"{what}: would revert: {exc}") from exc
        signed = self.account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - web3 TimeExhausted and transport errors
            raise DeployError(f"{what}: no receipt for 0x{bytes(tx_hash).hex()}: {exc}") from exc
        if receipt["status"] != 1:
            raise DeployError(f"{what}: transaction 0x{bytes(tx_hash).hex()} reverted")
        if self.gas_used is not None:
            self.gas_used[what] = receipt["gasUsed"]
        return receipt

    def deploy(self, name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor(*args).build_transaction({"from": self.account.address,
                                                           "nonce": 0, "gas": 1})
        tx.pop("gas")
        receipt = self._send(f"deploy {name}", {"data": tx["data"], "value": 0})
        address = receipt["contractAddress"]
        log.info("deployed %s at %s", name, address)
        return self.contract(name, address)

    def transact(self, what: str, call: Callable[[], Any] | Any, value: int = 0,
                 gas: int | None = None) -> Any:
        fn = call if hasattr(call, "build_transaction") else call()
        tx = fn.build_transaction({"from": self.account.address, "value": value, "nonce": 0,
                                   "gas": 1})
        out: dict[str, Any] = {"to": tx["to"], "data": tx["data"], "value": value}
        if gas is not None:
            out["gas"] = gas
        return self._send(what, out)

    def send_value(self, to: str, wei: int) -> Any:
        return self._send(f"fund {to}", {"to": Web3.to_checksum_address(to), "value": wei,
                                         "data": b"", "gas": 21_000})
