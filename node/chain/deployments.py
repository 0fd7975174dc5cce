"""Contracts created in a mined block: who created them, in which transaction, with what code.

Source: `debug_traceBlockByNumber` with the `callTracer`, one call per block: every frame of
type CREATE or CREATE2, top-level (a transaction without `to`) or nested (a factory's), with the
new address (`to`) and the runtime code the constructor returned (`output`). A node that does not
serve traces (many hosted endpoints) falls back to `eth_getBlockReceipts`: each receipt's
`contractAddress` (top-level creations only: a contract created by a factory is not seen; see
docs/security.md) and its code read with `eth_getCode` at that block. The choice is made once,
at the first block: a node either serves the tracer or it does not.

Everything in an answer is untrusted: a frame or receipt that does not parse is skipped and
counted, never raised past this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from node.chain.decode import ChainError, decode_bytes
from node.chain.rpc import ChainRpc, checksum

log = logging.getLogger("guardian.prepared")
MAX_CREATIONS_PER_BLOCK = 64  # more than this in one block: the first ones only
MAX_TRACE_DEPTH = 64


@dataclass(frozen=True)
class Creation:
    address: bytes
    tx_hash: bytes
    sender: bytes  # the creating transaction's `from` (the deployer's EOA)
    block: int
    code: bytes | None  # runtime code, when the source gave it


class DeploymentSource:
    def __init__(self, rpc: ChainRpc) -> None:
        self.rpc = rpc
        self.traces: bool | None = None  # does the node serve callTracer block traces?
        self.skipped = 0

    async def creations(self, block: int) -> list[Creation]:
        if self.traces is not False:
            try:
                found = await self._traced(block)
                self.traces = True
                return found
            except ChainError as exc:
                if self.traces:
                    raise
                log.info("no block traces from the node (%s): contract creations from receipts",
                         str(exc)[:120])
                self.traces = False
        return await self._receipts(block)

    async def code(self, address: bytes, block: int) -> bytes:
        raw = await self.rpc._run("eth_getCode", lambda: self.rpc.w3.eth.get_code(
            checksum(address), block))
        return decode_bytes(raw, None, "code")

    async def storage(self, address: bytes, slots: int, block: int) -> list[bytes]:
        words = []
        for slot in range(slots):
            raw = await self.rpc._run("eth_getStorageAt", lambda s=slot: self.rpc.w3.eth
                                      .get_storage_at(checksum(address), s, block))
            words.append(decode_bytes(raw, 32, "storage word"))
        return words

    async def _request(self, method: str, params: list) -> Any:
        answer = await self.rpc._run(method, lambda: self.rpc.w3.provider.make_request(
            method, params))
        if not isinstance(answer, dict) or "error" in answer:
            raise ChainError(f"{method}: {str(answer.get('error') if isinstance(answer, dict) else answer)[:200]}")
        return answer.get("result")

    async def _traced(self, block: int) -> list[Creation]:
        result = await self._request("debug_traceBlockByNumber",
                                     [hex(block), {"tracer": "callTracer"}])
        if not isinstance(result, list):
            raise ChainError("debug_traceBlockByNumber: expected a list of traces")
        found: list[Creation] = []
        for entry in result:
            try:
                tx_hash = decode_bytes(entry["txHash"], 32, "trace txHash")
                top = entry["result"]
                sender = decode_bytes(top["from"], 20, "trace from")
                self._frames(top, tx_hash, sender, block, found, 0)
            except (ChainError, KeyError, TypeError) as exc:
                self.skipped += 1
                log.debug("trace entry skipped at block %d: %s", block, exc)
            if len(found) >= MAX_CREATIONS_PER_BLOCK:
                break
        return found[:MAX_CREATIONS_PER_BLOCK]

    def _frames(self, frame: dict, tx_hash: bytes, sender: bytes, block: int,
                found: list[Creation], depth: int) -> None:
        if not isinstance(frame, dict) or depth > MAX_TRACE_DEPTH:
            return
        if frame.get("type") in ("CREATE", "CREATE2") and not frame.get("error") and frame.get("to"):
            found.append(Creation(decode_bytes(frame["to"], 20, "created address"), tx_hash,
                                  sender, block,
                                  decode_bytes(frame.get("output") or "0x", None, "output")))
        for child in frame.get("calls") or []:
            self._frames(child, tx_hash, sender, block, found, depth + 1)

    async def _receipts(self, block: int) -> list[Creation]:
        result = await self._request("eth_getBlockReceipts", [hex(block)])
        if not isinstance(result, list):
            raise ChainError("eth_getBlockReceipts: expected a list")
        found: list[Creation] = []
        for receipt in result:
            try:
                if not receipt.get("contractAddress") or receipt.get("status") != "0x1":
                    continue
                found.append(Creation(
                    decode_bytes(receipt["contractAddress"], 20, "contractAddress"),
                    decode_bytes(receipt["transactionHash"], 32, "transactionHash"),
                    decode_bytes(receipt["from"], 20, "from"), block, None))
            except (ChainError, KeyError, TypeError, AttributeError) as exc:
                self.skipped += 1
                log.debug("receipt skipped at block %d: %s", block, exc)
        return found[:MAX_CREATIONS_PER_BLOCK]
