"""JSON-RPC batches: many calls in one HTTP request (`ChainRpc` runs one call per request, whose
fixed cost, an HTTP exchange, a worker-thread hop and web3's formatting, measured about 3 ms of
CPU on this machine, dominated a head with 16 protocols registered: `node.bench.watch_corpus`).

`run_batch` answers each call's raw JSON-RPC answer (its `result`, or `None` where the node
answered an error for that call alone); a malformed batch answer (not a list, wrong length, an
entry that is not an object) raises `ChainError`. The callers (`node.chain.head_reads`) only warm
caches with the results: a call answered with an error is read again one by one, exactly as
before, so a batch never changes what a read returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from node.chain.decode import ChainError
from node.chain.rpc import ChainRpc

MAX_BATCH = 100  # calls per HTTP request (public endpoints refuse larger batches)

Call = tuple[str, list]  # (method, params)


class Failed:
    """A call of the batch the node answered with an error (the error, for the log)."""

    __slots__ = ("error",)

    def __init__(self, error: Any) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Failed({str(self.error)[:120]})"


def _answers(raw: Any, count: int) -> list[Any]:
    if isinstance(raw, Mapping):  # the whole batch refused: one error object
        raise ChainError(f"batch of {count} calls refused: {str(raw.get('error', raw))[:200]}")
    if not isinstance(raw, list) or len(raw) != count:
        raise ChainError(f"batch of {count} calls: the answer is not a list of {count}")
    out: list[Any] = []
    for answer in raw:
        if not isinstance(answer, Mapping):
            raise ChainError("batch: an answer is not a JSON-RPC object")
        out.append(Failed(answer["error"]) if "error" in answer else answer.get("result"))
    return out


async def run_batch(rpc: ChainRpc, calls: Sequence[Call]) -> list[Any]:
    """Each call's `result` (a `Failed` where the node answered an error), in call order, in
    requests of at most MAX_BATCH calls."""
    out: list[Any] = []
    for start in range(0, len(calls), MAX_BATCH):
        chunk = list(calls[start:start + MAX_BATCH])
        raw = await rpc._run(f"batch of {len(chunk)}",
                             lambda c=chunk: rpc.w3.provider.make_batch_request(c))
        out += _answers(raw, len(chunk))
    return out
