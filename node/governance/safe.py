"""Safe Transaction Builder batch files (the JSON the Safe{Wallet} Transaction Builder app
imports with "Load a batch"): version "1.0", the chain id, meta with the builder's checksum, and
one transaction per oracle call.

Each transaction carries the exact calldata in `data`, so what the Safe executes is byte for byte
what `--print-call` prints and `--key-file` sends. Calls whose arguments are all plain values also
carry `contractMethod` and `contractInputsValues`, so the Safe's screens show the function and
its arguments by name; a call with a struct argument (register, update) carries the calldata
only, which the builder shows as a custom-data transaction.

The checksum is the Transaction Builder's own (apps/tx-builder/src/lib/checksum.ts): keccak256 of
a key-sorted serialization of the batch with `meta.name` set to null and without the checksum.
"""

from __future__ import annotations

import json
import time

from eth_hash.auto import keccak

from node.governance.calls import OracleCall

TX_BUILDER_VERSION = "1.18.0"


def _serialize(value) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_serialize(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        return ("{" + json.dumps(keys, separators=(",", ":"), ensure_ascii=False)
                + "".join(_serialize(value[k]) + "," for k in keys) + "}")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def checksum(batch: dict) -> str:
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    meta["name"] = None
    return "0x" + keccak(_serialize({**batch, "meta": meta}).encode()).hex()


def _transaction(call: OracleCall) -> dict:
    tx: dict = {"to": call.to, "value": str(call.value), "data": "0x" + call.data.hex()}
    inputs = call.abi["inputs"]
    if all(not i["type"].startswith("tuple") for i in inputs):
        tx["contractMethod"] = {
            "inputs": [{"internalType": i.get("internalType", i["type"]), "name": i["name"],
                        "type": i["type"]} for i in inputs],
            "name": call.method, "payable": call.value != 0}
        tx["contractInputsValues"] = call.named_args()
    return tx


def safe_batch(chain_id: int, calls: list[OracleCall], *, name: str, description: str = "",
               safe: str | None = None, created_at_ms: int | None = None) -> dict:
    batch = {
        "version": "1.0",
        "chainId": str(chain_id),
        "createdAt": created_at_ms if created_at_ms is not None else int(time.time() * 1000),
        "meta": {"name": name, "description": description,
                 "txBuilderVersion": TX_BUILDER_VERSION,
                 "createdFromSafeAddress": safe or "", "createdFromOwnerAddress": ""},
        "transactions": [_transaction(c) for c in calls],
    }
    batch["meta"]["checksum"] = checksum(batch)
    return batch
