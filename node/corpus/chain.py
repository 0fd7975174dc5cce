"""The corpus drivers' view of the chain: deterministic accounts, transactions sent without waiting
(local nonces, so many accounts can act in the same block), receipts awaited in batches, and block
pacing that works both under manual mining (setup, history and tests: a driver mines a block
when it waits for its transactions) and interval mining
(the bench: blocks every 2 s, the guardians watching)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.providers.rpc import HTTPProvider

from node.artifacts import load_artifact
from node.deploy import Deployer
from node.errors import NodeError

E18 = 10**18
GAS = 400_000
MAX_FEE = 50 * 10**9
TIP = 10**9


class CorpusError(NodeError, RuntimeError):
    """A corpus driver could not do what its scenario needs (a setup transaction reverted, the
    chain stopped); the message names the step."""


@dataclass
class Sent:
    """One transaction a scenario sent, with where it landed."""

    label: str
    tx_hash: str
    harmful: bool = False
    block: int | None = None
    index: int | None = None
    ok: bool | None = None

    def to_dict(self) -> dict:
        return {"label": self.label, "tx": self.tx_hash, "harmful": self.harmful,
                "block": self.block, "index": self.index, "ok": self.ok}


@dataclass
class CorpusChain:
    """One chain shared by every scenario of a run. `gov` deploys and governs every corpus
    protocol (it is each registration's admin); `interval`: blocks come on the node's clock."""

    rpc_url: str
    gov_key: bytes
    seed: str = "corpus"
    interval: bool = False
    oracle: str = ""  # the GuardianOracle every corpus protocol is Guardable by
    w3: Web3 = field(init=False)
    gov: Deployer = field(init=False)
    _nonces: dict[str, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _accounts: dict[str, LocalAccount] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.w3 = Web3(HTTPProvider(self.rpc_url, request_kwargs={"timeout": 30}))
        self.gov = Deployer.connect(self.rpc_url, self.gov_key)
        self.chain_id = self.w3.eth.chain_id

    # accounts -----------------------------------------------------------------------------
    def account(self, label: str) -> LocalAccount:
        """The account named `label` (a key derived from the run's seed), funded with ether."""
        with self._lock:
            acct = self._accounts.get(label)
            if acct is None:
                acct = Account.from_key(Web3.keccak(text=f"{self.seed}:{label}"))
                self._accounts[label] = acct
                self.w3.provider.make_request("anvil_setBalance",
                                              [acct.address, hex(1000 * E18)])
            return acct

    # contracts ----------------------------------------------------------------------------
    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=load_artifact(name)["abi"])

    def deploy(self, name: str, *args: Any, by: LocalAccount | None = None,
               artifact: dict | None = None) -> Contract:
        """Deploy `name` (from the shipped artifacts, or `artifact`) from `by` (default the
        governance) and wait for it."""
        artifact = artifact or load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        data = factory.constructor(*args).build_transaction(
            {"from": (by or self.gov.account).address, "nonce": 0, "gas": 1})["data"]
        sent = self.send_raw(by or self.gov.account, None, data, gas=6_000_000, label=f"deploy {name}")
        receipt = self.receipt(sent)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    # transactions -------------------------------------------------------------------------
    def _nonce(self, address: str) -> int:
        with self._lock:
            if address not in self._nonces:
                self._nonces[address] = self.w3.eth.get_transaction_count(address, "pending")
            nonce = self._nonces[address]
            self._nonces[address] = nonce + 1
            return nonce

    def send_raw(self, acct: LocalAccount, to: str | None, data: bytes | str, *, gas: int = GAS,
                 label: str = "", harmful: bool = False, value: int = 0) -> Sent:
        tx: dict[str, Any] = {"from": acct.address, "data": data, "value": value, "gas": gas,
                              "nonce": self._nonce(acct.address), "chainId": self.chain_id,
                              "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        signed = acct.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        return Sent(label, "0x" + bytes(tx_hash).hex(), harmful)

    def send(self, acct: LocalAccount, fn, *, gas: int = GAS, label: str = "",
             harmful: bool = False, value: int = 0) -> Sent:
        """Send a contract call from `acct` without waiting for it."""
        data = fn.build_transaction({"from": acct.address, "nonce": 0, "gas": 1, "value": value,
                                     "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP})
        return self.send_raw(acct, data["to"], data["data"], gas=gas, label=label or fn.fn_name,
                             harmful=harmful, value=value)

    def receipt(self, sent: Sent, timeout: float = 60.0, *, must: bool = True) -> dict:
        """Wait for `sent`'s receipt (mining a block first under manual mining), note where it
        landed; CorpusError if it reverted and `must`."""
        if not self.interval and self.w3.eth.get_transaction(sent.tx_hash)["blockNumber"] is None:
            self.mine()
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(sent.tx_hash, timeout=timeout,
                                                               poll_latency=0.1)
        except Exception as exc:  # noqa: BLE001 - web3 TimeExhausted and transport errors
            raise CorpusError(f"{sent.label}: no receipt for {sent.tx_hash}: {exc}") from exc
        sent.block, sent.index = receipt["blockNumber"], receipt["transactionIndex"]
        sent.ok = receipt["status"] == 1
        if must and not sent.ok:
            raise CorpusError(f"{sent.label}: transaction {sent.tx_hash} reverted")
        return receipt

    def settle(self, sent: list[Sent], *, must: bool = True) -> list[Sent]:
        """Wait for every transaction in `sent` (mining a block first under manual mining)."""
        for s in sent:
            self.receipt(s, must=must)
        return sent

    # blocks -------------------------------------------------------------------------------
    def mine(self) -> None:
        self.w3.provider.make_request("evm_mine", [])

    def manual_mining(self) -> None:
        """Blocks only when a driver mines them (setup, history, tests)."""
        self.w3.provider.make_request("evm_setIntervalMining", [0])
        self.w3.provider.make_request("evm_setAutomine", [False])
        self.interval = False

    def head(self) -> int:
        return self.w3.eth.block_number

    def next_block(self, count: int = 1, timeout: float = 60.0) -> int:
        """Let `count` blocks pass: mine them (manual mining) or wait for the node's clock."""
        if not self.interval:
            for _ in range(count):
                self.mine()
            return self.head()
        target = self.head() + count
        deadline = time.monotonic() + timeout * count
        while (head := self.head()) < target:
            if time.monotonic() > deadline:
                raise CorpusError(f"the chain did not reach block {target}")
            time.sleep(0.1)  # interval mining seals the blocks
        return head

    def token_balance(self, token: Contract, holder: str, block: int | str = "latest") -> int:
        return token.functions.balanceOf(Web3.to_checksum_address(holder)).call(
            block_identifier=block)
