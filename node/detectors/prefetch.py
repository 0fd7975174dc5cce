"""One head's reads for every watched protocol at once, in a few JSON-RPC batches, before the
detectors run: with 16 protocols registered each head cost about 180 RPC calls of ~3 ms CPU each
(three `eth_getLogs` per protocol, its balances and invariants, then per transaction a receipt, a
trace and the facts' reads), and four guardians on two cores fell behind 2 s blocks.

    1. one `eth_getLogs` of every monitored contract and registered ERC-20 token of every
       protocol (kept by the view: each detector's log query is answered from it), the
       balances each balance rule compares (head, head - 1, the window's start) and the
       invariants at head and head - 1 (what the EXTRACTION facts read before and after)
    2. the receipt and the call trace of every EXTRACTION candidate (value out of a monitored
       contract) and the receipt alone of every DILUTION candidate (a registered ERC-20 token
       into one: its facts need no trace), once for all protocols
    3. the claims of each candidate's takers / depositors and the calling contract's age

Nothing here judges. It only warms the chain view's caches with the answers to exactly the reads
the detectors make next (same method, arguments and block; `RpcChainView` keys), so every
detector reads and judges as before and a peer re-derives the same evidence; a read the batch did
not answer (a node error, a revert, a prediction that missed) is made one by one by the detector,
as before. A failed batch only costs the time it took (logged at debug).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from node.chain.batch import Call, FailedCall, run_batch
from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.rpc import BALANCE_OF, checksum, log_record
from node.chain.trace import NATIVE_LOG_ADDRESS, flows_of, receipt_ok, trace_request
from node.detectors import dilution
from node.detectors.extraction import ExtractionDetector
from node.records import Watched
from protocol import dilution as dilution_rule
from protocol import intent
from protocol.detection import ETHER, DetectionParams

log = logging.getLogger(__name__)

PAUSE_BLOCKS = 32  # after a failed batch (a node that refuses batches): heads read one by one


@dataclass
class Prefetched:
    """What one head's prefetch sent (for the bench and the tests)."""

    batches: int = 0
    calls: int = 0
    candidates: set[bytes] = field(default_factory=set)


def can_prefetch(view) -> bool:
    return all(hasattr(view, n) for n in ("rpc", "known", "remember", "store_block_logs"))


def _hex(block: int) -> str:
    return hex(block)


def _read_call(key: tuple) -> Call:
    """The JSON-RPC call `RpcChainView` makes for its cache key `key`."""
    kind = key[0]
    if kind == "balance":
        _, token, holder, block = key
        if token == ETHER:
            return "eth_getBalance", [checksum(holder), _hex(block)]
        data = BALANCE_OF + bytes(12) + holder
        return "eth_call", [{"to": checksum(token), "data": "0x" + data.hex()}, _hex(block)]
    if kind == "call":
        _, target, data, block = key
        return "eth_call", [{"to": checksum(target), "data": "0x" + data.hex()}, _hex(block)]
    if kind == "code":
        _, address, block = key
        return "eth_getCode", [checksum(address), _hex(block)]
    raise ValueError(f"no batched read for {kind!r}")


def _value(key: tuple, answer):
    """What the one-by-one read returns for `answer`, or None to leave it to that read."""
    kind = key[0]
    if kind == "balance":
        if key[1] == ETHER:
            return decode_uint(answer, "balance")
        out = decode_bytes(answer, None, "eth_call result")
        return int.from_bytes(out, "big") if len(out) == 32 else None
    if kind == "call":
        return decode_bytes(answer, None, "eth_call result")
    return len(decode_bytes(answer, None, "code"))  # code


def _remember(view, keys: list[tuple], answers: list) -> None:
    for key, answer in zip(keys, answers, strict=True):
        if isinstance(answer, FailedCall) or answer is None:
            continue  # a revert or an error: the detector's own read answers it, as before
        try:
            value = _value(key, answer)
        except ChainError:
            continue
        if value is not None:
            view.remember(key, value)


async def warm(view, keys: Iterable[tuple], stats: Prefetched,
                first: list[Call] | None = None) -> list:
    """Batch-read every key the view does not hold yet (after the calls `first`, whose answers
    are returned) and remember the answers."""
    first = first or []
    todo = [k for k in dict.fromkeys(keys) if not view.known(k)]
    if not todo and not first:
        return []
    answers = await run_batch(view.rpc, first + [_read_call(k) for k in todo])
    stats.batches += 1
    stats.calls += len(first) + len(todo)
    _remember(view, todo, answers[len(first):])
    return answers[:len(first)]


def _erc20(params: DetectionParams) -> tuple[bytes, ...]:
    return tuple(t for t in params.tokens if t != ETHER)


def _head_keys(watched: Watched, head: int) -> list[tuple]:
    """The balances the balance rules compare and the invariants the EXTRACTION facts (and the
    INVARIANT rule) read at `head`."""
    params = watched.params
    blocks = {head, head - 1}
    if params.outflow_limit_bps and params.window_blocks and head >= params.window_blocks:
        blocks.add(max(head - params.window_blocks, watched.release_block + 1))
    blocks = {b for b in blocks if 0 <= b <= head}
    keys = [("balance", token, holder, b) for b in sorted(blocks)
            for holder in params.monitored for token in params.tokens]
    keys += [("call", inv.target, inv.data, b) for b in (head - 1, head) if b >= 0
             for inv in params.invariants]
    return keys


def _addresses(protocols: list[Watched]) -> frozenset[bytes]:
    """Every address a detector asks the logs of: the monitored contracts, the registered ERC-20
    tokens (and, for native value, the simulation's native-transfer address, which EXTRACTION
    asks for too)."""
    out = {a for w in protocols for a in w.params.monitored + _erc20(w.params)}
    if any(ETHER in w.params.tokens for w in protocols):
        out.add(NATIVE_LOG_ADDRESS)
    return frozenset(out)


def _logs(view, addresses: frozenset[bytes], head: int) -> list[Call]:
    """The call for every log of every watched address at `head`, unless stored."""
    if not addresses or view.stored_logs(head, tuple(addresses)) is not None:
        return []
    return [("eth_getLogs", [{"fromBlock": _hex(head), "toBlock": _hex(head),
                              "address": [checksum(a) for a in sorted(addresses)]}])]


async def _flows(view, traced: list[bytes], receipts_only: list[bytes],
                 stats: Prefetched) -> None:
    """The receipt and trace of each of `traced` (EXTRACTION candidates: `tx_flows`), the
    receipt alone of each of `receipts_only` (DILUTION's: `tx_token_flows`), in one batch."""
    traced = [h for h in traced if not view.known(("flows", h))]
    receipts_only = [h for h in receipts_only if not view.known(("flows", h))
                     and not view.known(("token flows", h))]
    if not traced and not receipts_only:
        return
    calls: list[Call] = []
    for h in traced:
        calls += [("eth_getTransactionReceipt", ["0x" + h.hex()]), trace_request(h)]
    calls += [("eth_getTransactionReceipt", ["0x" + h.hex()]) for h in receipts_only]
    answers = await run_batch(view.rpc, calls)
    stats.batches += 1
    stats.calls += len(calls)
    for k, h in enumerate(traced):
        receipt, trace = answers[2 * k], answers[2 * k + 1]
        if receipt is None or isinstance(receipt, FailedCall):
            continue
        try:
            if receipt_ok(receipt) and (trace is None or isinstance(trace, FailedCall)):
                continue  # the detector traces it again, and fails as before if it must
            view.remember(("flows", h), flows_of(h, receipt, trace))
        except (ChainError, KeyError, TypeError, AttributeError):
            continue
    for h, receipt in zip(receipts_only, answers[2 * len(traced):], strict=True):
        if receipt is None or isinstance(receipt, FailedCall):
            continue
        try:
            view.remember(("token flows", h), flows_of(h, receipt, None, traced=False))
        except (ChainError, KeyError, TypeError, AttributeError):
            continue


async def _candidates(view, watched: Watched, head: int) -> tuple[set[bytes], set[bytes]]:
    """(EXTRACTION's candidates, DILUTION's) of `watched` at `head`."""
    params = watched.params
    if not params.monitored or not params.tokens or head <= watched.release_block:
        return set(), set()
    taken = set(await ExtractionDetector().candidates(view, params, head))
    deposits: set[bytes] = set()
    if params.claims is not None and _erc20(params):
        deposits = set(dilution.candidates(await dilution.block_entries(view, params, head),
                                           params))
    return taken, deposits


def _fact_keys(view, watched: Watched, head: int, hashes: set[bytes]) -> list[tuple]:
    """The claims and code reads the EXTRACTION and DILUTION facts of `hashes` make."""
    keys: list[tuple] = []
    for h in sorted(hashes):
        flows = view.peek(("flows", h)) or view.peek(("token flows", h))
        if flows is not None and flows.ok and flows.block == head:
            keys += fact_keys(watched.params, flows, head)
    return keys


def fact_keys(params: DetectionParams, flows, head: int) -> list[tuple]:
    """The claims and code reads the EXTRACTION and DILUTION facts of one transaction (`flows`,
    in block `head`) make."""
    keys: list[tuple] = []
    for token in params.tokens:
        if intent.net_outflow(flows.transfers, params.monitored, token) == 0:
            continue
        takers = intent.beneficiaries_of(flows.sender, flows.to, flows.transfers,
                                         params.monitored)
        if params.claims is not None:
            keys += [("call", params.claims, intent.claim_of_calldata(a, token), head - 1)
                     for a in takers]
        if flows.to is not None:
            keys.append(("code", flows.to, max(0, head - intent.AGE_BLOCKS)))
    if params.claims is None:
        return keys
    depositors = dilution_rule.depositors_of(flows.sender, flows.to, params.monitored)
    for token in _erc20(params):
        if depositors and dilution_rule.deposited(flows.transfers, params.monitored,
                                                  depositors, token):
            keys += [("call", params.claims, intent.claim_of_calldata(d, token), at)
                     for at in (head - 1, head) for d in depositors]
    return keys


async def prefetch(view, protocols: Iterable[Watched], head: int) -> Prefetched:
    """Warm `view` for scanning `head` with `protocols` (those not contained); see the module."""
    stats = Prefetched()
    watched = [w for w in protocols if not w.contained]
    if not watched or not can_prefetch(view) or head < getattr(view, "prefetch_paused_until", 0):
        return stats
    try:
        # 1. logs, balances, invariants
        addresses = _addresses(watched)
        logs = await warm(view, [k for w in watched for k in _head_keys(w, head)], stats,
                           first=_logs(view, addresses, head))
        if logs and isinstance(logs[0], list):
            view.store_block_logs(head, addresses, [log_record(e) for e in logs[0]])
        # 2. the candidates' receipts and traces
        found = {w.protocol_id: await _candidates(view, w, head) for w in watched}
        taken = set().union(*(t for t, _ in found.values()))
        deposits = set().union(*(d for _, d in found.values())) - taken
        stats.candidates = taken | deposits
        await _flows(view, sorted(taken), sorted(deposits), stats)
        # 3. their takers' and depositors' claims, the callers' age
        await warm(view, [k for w in watched
                           for k in _fact_keys(view, w, head, set().union(
                               *found[w.protocol_id]))], stats)
    except Exception as exc:  # noqa: BLE001 - advisory: the detectors read one by one instead
        # A node that refuses batches (or retries them for seconds) must not cost every head
        # that: read one by one for a while, then try again.
        view.prefetch_paused_until = head + PAUSE_BLOCKS
        log.info("batched reads at block %d failed (%s); reading one by one until block %d",
                 head, str(exc)[:200], head + PAUSE_BLOCKS)
    return stats
