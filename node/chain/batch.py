"""JSON-RPC batches: many calls in one HTTP request (`ChainRpc` runs one call per request, whose
fixed cost, an HTTP exchange, a worker-thread hop and web3's formatting, measured about 3 ms of
CPU on this machine, dominated a head with 16 protocols registered: `node.bench.watch_corpus`).

`run_batch` answers each call's raw JSON-RPC `result` (a `FailedCall` where the node answered an
error for that call alone), matched by id; a malformed batch answer (not JSON, not a list, the
wrong length, an entry that is not an object, an id missing, unknown or repeated) raises
`ChainError`. The callers (`node.chain.head_reads`) only warm
caches with the results: a call answered with an error is read again one by one, exactly as
before, so a batch never changes what a read returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from node.chain.decode import ChainError
from node.chain.rpc import ChainRpc

MAX_BATCH = 100  # calls per HTTP request (public endpoints refuse larger batches)

Call = tuple[str, list]  # (method, params)


class FailedCall:
    """A call of the batch the node answered with an error (the error, for the log)."""

    __slots__ = ("error",)

    def __init__(self, error: Any) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"FailedCall({str(self.error)[:120]})"


def _answers(raw: Any, count: int) -> list[Any]:
    """Each call's answer by its id (0 .. count - 1, each exactly once: the spec lets a node
    answer in any order)."""
    if isinstance(raw, Mapping):  # the whole batch refused: one error object
        raise ChainError(f"batch of {count} calls refused: {str(raw.get('error', raw))[:200]}")
    if not isinstance(raw, list) or len(raw) != count:
        raise ChainError(f"batch of {count} calls: the answer is not a list of {count}")
    by_id: dict[int, Any] = {}
    for answer in raw:
        if not isinstance(answer, Mapping):
            raise ChainError("batch: an answer is not a JSON-RPC object")
        ident = answer.get("id")
        if (not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < count
                or ident in by_id):
            raise ChainError(f"batch: an answer has an unknown or repeated id {str(ident)[:40]}")
        by_id[ident] = FailedCall(answer["error"]) if "error" in answer else answer.get("result")
    return [by_id[i] for i in range(count)]


def _post(rpc: ChainRpc, calls: list[Call]) -> Any:
    """One HTTP request with every call of `calls` (ids 0..n-1), through web3's HTTP session
    (same endpoint, timeout and connection pool as the one-by-one reads); its decoded JSON."""
    payload = json.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                          for i, (method, params) in enumerate(calls)]).encode()
    provider = rpc.w3.provider
    raw = provider._request_session_manager.make_post_request(
        provider.endpoint_uri, payload, **provider.get_request_kwargs())
    return json.loads(raw)


async def run_batch(rpc: ChainRpc, calls: Sequence[Call]) -> list[Any]:
    """Each call's `result` (a `FailedCall` where the node answered an error), in call order, in
    requests of at most MAX_BATCH calls."""
    out: list[Any] = []
    note = getattr(rpc, "note_batch", None)  # a counting client (node.bench.watch_corpus)
    for start in range(0, len(calls), MAX_BATCH):
        chunk = list(calls[start:start + MAX_BATCH])
        if note is not None:
            note(chunk)
        raw = await rpc._run(f"batch of {len(chunk)}", lambda c=chunk: _post(rpc, c))
        out += _answers(raw, len(chunk))
    return out
