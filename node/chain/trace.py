"""How value moved in one transaction: the transfers `protocol.intent` derives its facts from.

Mined transactions: the receipt's ERC-20 `Transfer` logs (in log order) and the native value moved
by the call tree from `debug_traceTransaction` with the `callTracer` (pre-order; a frame that
reverted is left out with everything below it). Why the callTracer on the mined transaction and not
a re-simulation: the transaction ran after the others of its block, and only the trace of the
transaction itself shows what it did (anvil, geth, reth and erigon all answer it). Logs come from
the receipt rather than the tracer's `withLog` because every node answers receipts the same way.

Pending transactions: the simulation already runs the transaction (`node.chain.simulate`) with
`traceTransfers`, which reports native value as `Transfer` logs from `NATIVE_LOG_ADDRESS` in
execution order; no extra call is needed.

Every answer is untrusted: a malformed trace raises `ChainError` naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.rpc import ChainRpc, receipt_from
from node.records import LogRecord
from protocol.intent import TRANSFER_TOPIC, ZERO, Transfer

# eth_simulateV1's traceTransfers reports native value as Transfer logs from this address.
NATIVE_LOG_ADDRESS = bytes.fromhex("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
VALUE_CALLS = ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT")  # frames that move their value
MAX_FRAMES = 20_000  # a trace larger than this is refused (bounded work per transaction)


@dataclass(frozen=True)
class TxFlows:
    tx_hash: bytes
    sender: bytes
    to: bytes | None
    block: int
    ok: bool
    transfers: tuple[Transfer, ...]


def transfers_from_logs(logs: Iterable[LogRecord]) -> list[Transfer]:
    """ERC-20 Transfer logs (three topics, a 32-byte amount); ERC-721's (four topics) are not
    value of a registered token. The synthetic native logs of a simulation become native value."""
    out: list[Transfer] = []
    for entry in logs:
        if len(entry.topics) != 3 or entry.topics[0] != TRANSFER_TOPIC or len(entry.data) != 32:
            continue
        token = ZERO if entry.address == NATIVE_LOG_ADDRESS else entry.address
        out.append(Transfer(token, entry.topics[1][12:], entry.topics[2][12:],
                            int.from_bytes(entry.data, "big")))
    return out


def native_from_trace(root: Any) -> list[Transfer]:
    """Native value moved by the call frames that did not revert, in pre-order."""
    out: list[Transfer] = []
    stack, seen = [root], 0
    while stack:
        frame = stack.pop()
        seen += 1
        if seen > MAX_FRAMES:
            raise ChainError(f"debug_traceTransaction: more than {MAX_FRAMES} call frames")
        if not isinstance(frame, Mapping):
            raise ChainError("debug_traceTransaction: a call frame is not an object")
        if frame.get("error"):
            continue  # reverted: it and its sub-calls moved nothing
        kind = str(frame.get("type", "")).upper()
        value = decode_uint(frame.get("value") or "0x0", "trace value")
        if value and kind in VALUE_CALLS:
            out.append(Transfer(ZERO, decode_bytes(frame.get("from"), 20, "trace from"),
                                decode_bytes(frame.get("to"), 20, "trace to"), value))
        calls = frame.get("calls") or []
        if not isinstance(calls, list):
            raise ChainError("debug_traceTransaction: calls is not a list")
        stack.extend(reversed(calls))
    return out


async def mined_flows(rpc: ChainRpc, tx_hash: bytes) -> TxFlows | None:
    """The flows of a mined transaction, or None if this node does not know it."""
    receipt_raw = await rpc._run("eth_getTransactionReceipt",
                                 lambda: rpc.w3.provider.make_request(
                                     "eth_getTransactionReceipt", ["0x" + tx_hash.hex()]))
    raw = _result(receipt_raw, "eth_getTransactionReceipt")
    if raw is None:
        return None
    trace = None
    if receipt_ok(raw):
        trace = _result(await rpc._run("debug_traceTransaction", lambda: rpc.w3.provider
                                       .make_request(*trace_request(tx_hash))),
                        "debug_traceTransaction")
    return flows_of(tx_hash, raw, trace)


def trace_request(tx_hash: bytes) -> tuple[str, list]:
    return "debug_traceTransaction", ["0x" + tx_hash.hex(), {"tracer": "callTracer"}]


def receipt_ok(raw: Any) -> bool:
    """The receipt answer says the transaction succeeded (its call tree is then traced)."""
    return receipt_from(raw).ok


async def token_flows(rpc: ChainRpc, tx_hash: bytes) -> TxFlows | None:
    """The ERC-20 transfers of a mined transaction (its receipt's logs), without the native value
    its trace would add: what DILUTION reads (its facts count one registered ERC-20 token), so a
    deposit costs a receipt, not a trace."""
    raw = _result(await rpc._run("eth_getTransactionReceipt",
                                 lambda: rpc.w3.provider.make_request(
                                     "eth_getTransactionReceipt", ["0x" + tx_hash.hex()])),
                  "eth_getTransactionReceipt")
    return None if raw is None else flows_of(tx_hash, raw, None, traced=False)


def flows_of(tx_hash: bytes, raw: Any, trace: Any, traced: bool = True) -> TxFlows:
    """The flows from a receipt answer (not None) and, for a successful transaction, its
    callTracer answer (`mined_flows` reads them one by one, `node.detectors.prefetch` in a
    batch: the same answers make the same flows); `traced=False`: the receipt's alone."""
    receipt = receipt_from(raw)
    if receipt.tx_hash != tx_hash:
        raise ChainError("eth_getTransactionReceipt: answered another transaction")
    sender = decode_bytes(raw["from"], 20, "receipt sender")
    to = None if raw.get("to") in (None, "") else decode_bytes(raw["to"], 20, "receipt to")
    transfers = transfers_from_logs(receipt.logs)
    if receipt.ok and traced:
        transfers += native_from_trace(trace)
    return TxFlows(tx_hash, sender, to, receipt.block, receipt.ok, tuple(transfers))


def pending_flows(outcome) -> TxFlows:
    """The flows of a simulated pending transaction (`node.chain.simulate.SimOutcome`)."""
    tx = outcome.tx
    return TxFlows(tx.hash, tx.sender, tx.to, outcome.block, outcome.ok,
                   tuple(transfers_from_logs(outcome.logs)))


def _result(answer: Any, what: str) -> Any:
    if not isinstance(answer, Mapping):
        raise ChainError(f"{what}: not a JSON-RPC answer")
    if "error" in answer:
        raise ChainError(f"{what} refused: {str(answer['error'])[:200]}")
    return answer.get("result")
