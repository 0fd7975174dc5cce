"""A cover pool as the node sees it: its confirmation record, and the one transaction a guardian
sends to it, `confirmBreach`, from the same submitter account (and nonce sequence) as its
containments."""

from __future__ import annotations

from typing import Any

from web3.exceptions import ContractLogicError

from node.artifacts import load_artifact
from node.chain.decode import ChainError
from node.chain.oracle import OracleClient
from node.chain.revert import revert_of
from node.chain.rpc import checksum
from protocol.breach import Confirmation

CONFIRM_GAS = 600_000  # measured about 320,000 (BLS verification over a hashed-to-G2 message)


class PoolClient:
    def __init__(self, oracle: OracleClient, address: bytes) -> None:
        self.oracle = oracle
        self.rpc = oracle.rpc
        self.address = address
        self.contract = self.rpc.w3.eth.contract(address=checksum(address),
                                                 abi=load_artifact("CoverPool")["abi"])

    async def confirmed_loss(self, nonce: int) -> int:
        """The loss recorded for incident `nonce` (0: not confirmed)."""
        fn = self.contract.functions.breach(nonce)
        try:
            record = await self.rpc._run("pool.breach", lambda: fn.call())
        except ContractLogicError as exc:
            raise ChainError(f"pool.breach reverted: {exc}") from exc
        return int(record[0])

    def confirm_calldata(self, c: Confirmation, signature_eip2537: bytes) -> str:
        return self.contract.encode_abi("confirmBreach", args=[
            c.nonce, c.loss, c.snapshot_block, c.root, c.deadline, signature_eip2537])

    async def simulate_confirm(self, c: Confirmation, signature: bytes) -> str | None:
        """None if `confirmBreach` would succeed now, else the revert's name."""
        tx: dict[str, Any] = {"to": checksum(self.address),
                              "data": self.confirm_calldata(c, signature), "gas": CONFIRM_GAS}
        try:
            await self.rpc._run("eth_estimateGas", lambda: self.rpc.w3.eth.estimate_gas(tx))
        except (ContractLogicError, ChainError) as exc:
            found = revert_of(exc)
            return found.name if found is not None else str(exc)[:200]
        return None

    async def send_confirm(self, c: Confirmation, signature: bytes) -> bytes:
        account = self.oracle._account  # the submitter key; shares the oracle client's lock
        if account is None:
            raise ChainError("no submitter key configured: this node cannot send transactions")
        data = self.confirm_calldata(c, signature)
        async with self.oracle._send_lock:
            chain_id = self.oracle.chain_id or await self.rpc.chain_id()
            tx_nonce = await self.rpc.transaction_count(self.oracle.submitter)
            max_fee, tip = await self.rpc.fee_params()
            tx = {"to": checksum(self.address), "data": data, "value": 0, "gas": CONFIRM_GAS,
                  "nonce": tx_nonce, "chainId": chain_id, "maxFeePerGas": max_fee,
                  "maxPriorityFeePerGas": tip, "type": 2}
            signed = account.sign_transaction(tx)
            return await self.rpc.send_raw(bytes(signed.raw_transaction))
