"""Extraction detector: per transaction that moved value out of a monitored contract, the facts of
`protocol.intent` (who took how much, whether it was theirs, a flash loan, a young contract, the
invariants before and after), judged by the EXTRACTION rule.

Mined path: each head's transactions that moved a registered token out of a monitored contract
(its Transfer logs; for native value, any log of a monitored contract), the largest first, at most
`MAX_TXS_PER_HEAD` per protocol per head. Pending path: the same scan on the simulated block, where
the only transaction is the pending one (its flows come from the simulation, `node.chain.trace`).

A co-signer re-derives every fact of the evidence's transaction from its own node and compares the
beneficiaries (detail) and the observations; the first difference is named.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

import trio

from node.chain.trace import NATIVE_LOG_ADDRESS, TxFlows
from node.detectors.base import ChainView, Detection, Detector, NotObserved, Watched
from protocol import intent
from protocol.detection import ETHER, DetectionParams, EvidenceKind, invariant_holds
from protocol.evidence import Evidence

MAX_TXS_PER_HEAD = 8
FACTS_CACHE = 4096  # facts (and block candidates, node.detectors.claims_window) per chain view
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def remember(view, key: tuple, read):
    """`read()` once per chain view and key (LRU of FACTS_CACHE): mined facts do not change."""
    try:
        cache = _caches.setdefault(view, OrderedDict())
    except TypeError:  # a view that takes no weak reference: no cache
        return await read()
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = await read()
    cache[key] = value
    while len(cache) > FACTS_CACHE:
        cache.popitem(last=False)
    return value


async def _gather(reads: list) -> list:
    """Await independent reads at once (the RPC client bounds its own concurrency): the facts of
    one transaction are a dozen reads, and the watch loop waits for its slowest detector."""
    out: list = [None] * len(reads)

    async def run(index: int, read) -> None:
        out[index] = await read

    try:
        async with trio.open_nursery() as nursery:
            for index, read in enumerate(reads):
                nursery.start_soon(run, index, read)
    except BaseExceptionGroup as group:  # one read's error, as the callers expect it (ChainError)
        failed = group
        while isinstance(failed, BaseExceptionGroup) and failed.exceptions:
            failed = failed.exceptions[0]
        if isinstance(failed, Exception):
            raise failed from group
        raise
    return out


async def derive_facts(view: ChainView, params: DetectionParams, flows: TxFlows,
                       token: bytes) -> intent.ExtractionFacts:
    """The facts of `flows` for `token`, read at the transaction's block and the one before."""
    block, before = flows.block, flows.block - 1
    transfers = flows.transfers
    beneficiaries = intent.beneficiaries_of(flows.sender, flows.to, transfers, params.monitored)
    claim_reads = [view.call(params.claims, intent.claim_of_calldata(account, token), before)
                   for account in beneficiaries] if params.claims is not None else []
    balance_reads = [view.balance(token, holder, before) for holder in params.monitored]
    invariant_reads = [view.call(inv.target, inv.data, at)
                       for at in (before, block) for inv in params.invariants]
    # A contract created by this very transaction is the youngest there is.
    code_reads = [] if flows.to is None else [
        view.code_size(flows.to, max(0, block - intent.AGE_BLOCKS))]
    answers = await _gather(claim_reads + balance_reads + invariant_reads + code_reads)
    claims = answers[:len(claim_reads)]
    balances = answers[len(claim_reads):len(claim_reads) + len(balance_reads)]
    held = [invariant_holds(a) for a in answers[len(claim_reads) + len(balance_reads):
                                               len(answers) - len(code_reads)]]
    count = len(params.invariants)
    young = 1 if flows.to is None or answers[-1] == 0 else 0
    return intent.ExtractionFacts(
        tx_hash=flows.tx_hash, beneficiaries=beneficiaries,
        extracted=intent.net_outflow(transfers, params.monitored, token),
        claims=sum(intent.decode_claim(a) for a in claims), balance_before=sum(balances),
        flash_loans=intent.flash_loans(transfers, params.monitored), young=young,
        held_before=intent.held_mask(held[:count]), held_after=intent.held_mask(held[count:]))


async def cached_facts(view: ChainView, params: DetectionParams, flows: TxFlows,
                       token: bytes) -> intent.ExtractionFacts:
    """`derive_facts` once per (view, transaction, token, registration): the balance detectors
    judge a window's transactions with the facts this detector derived on each head."""
    return await remember(view, ("facts", flows.tx_hash, flows.block, token, params),
                          lambda: derive_facts(view, params, flows, token))


def _reads_flows(view: ChainView) -> bool:
    return all(hasattr(view, name) for name in ("tx_flows", "block_logs", "code_size"))


class ExtractionDetector(Detector):
    name = "extraction"
    kind = EvidenceKind.EXTRACTION

    async def candidates(self, view, params: DetectionParams, head: int) -> list[bytes]:
        """Transactions of block `head` that moved a registered token out of a monitored
        contract: the largest outflow first (then by hash), at most MAX_TXS_PER_HEAD."""
        erc20 = tuple(t for t in params.tokens if t != ETHER)
        if ETHER in params.tokens:
            erc20 += (NATIVE_LOG_ADDRESS,)  # a simulation's native transfers
        amounts: dict[bytes, int] = {}
        monitored = set(params.monitored)
        for entry in await view.block_logs(erc20, (intent.TRANSFER_TOPIC,), head,
                                           params.monitored):
            if (len(entry.topics) == 3 and entry.topics[1][12:] in monitored
                    and entry.topics[2][12:] not in monitored and len(entry.data) == 32):
                amounts[entry.tx_hash] = amounts.get(entry.tx_hash, 0) + int.from_bytes(
                    entry.data, "big")
        if ETHER in params.tokens:  # native outflow shows in no log: any log of the protocol
            for entry in await view.block_logs(params.monitored, (), head):
                amounts.setdefault(entry.tx_hash, 0)
        ranked = sorted(amounts.items(), key=lambda item: (-item[1], item[0]))
        return [tx_hash for tx_hash, _ in ranked[:MAX_TXS_PER_HEAD]]

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        params = watched.params
        if (not _reads_flows(view) or not params.monitored or not params.tokens
                or head <= watched.release_block):
            return []
        found: list[Detection] = []
        for tx_hash in await self.candidates(view, params, head):
            flows = await view.tx_flows(tx_hash)
            if flows is None or not flows.ok or flows.block != head:
                continue
            for token in params.tokens:
                if intent.net_outflow(flows.transfers, params.monitored, token) == 0:
                    continue
                facts = await cached_facts(view, params, flows, token)
                if not facts.beneficiaries:
                    continue
                evidence = Evidence(kind=EvidenceKind.EXTRACTION, protocol_id=watched.protocol_id,
                                    block_from=head, block_to=head, subject=token,
                                    observed=facts.observed(), detail=facts.detail())
                found += self.judged(watched, evidence)
        return found

    async def _facts(self, view, evidence: Evidence,
                     params: DetectionParams | None) -> intent.ExtractionFacts:
        if params is None:
            raise NotObserved("extraction: re-observing needs the protocol's registration")
        flows = await evidence_flows(view, evidence, "extraction")
        return await derive_facts(view, params, flows, evidence.subject)

    async def observe(self, view: ChainView, evidence: Evidence,
                      params: DetectionParams | None = None) -> tuple[int, ...]:
        return (await self._facts(view, evidence, params)).observed()

    async def reobserve(self, view: ChainView, evidence: Evidence,
                        params: DetectionParams | None = None) -> None:
        facts = await self._facts(view, evidence, params)
        if facts.detail() != evidence.detail:
            ours = ", ".join("0x" + b.hex() for b in facts.beneficiaries)
            raise NotObserved(f"extraction: the beneficiaries differ; our chain shows {ours}")
        compare_facts("extraction", intent.OBSERVED_FIELDS, evidence.observed, facts.observed())


def compare_facts(rule: str, fields, claimed: tuple, seen: tuple) -> None:
    """A peer's per-transaction facts against ours, naming the first that differs."""
    if len(claimed) != len(fields):
        raise NotObserved(f"{rule}: the evidence does not carry every fact")
    for name, theirs, ours in zip(fields, claimed, seen, strict=True):
        if theirs != ours:
            raise NotObserved(f"{rule}: {name} is {theirs} in the evidence, our chain shows {ours}")


async def evidence_flows(view: ChainView, evidence: Evidence, rule: str,
                         read=None) -> TxFlows:
    """The flows of the transaction a per-transaction evidence (EXTRACTION, DILUTION) names, as
    our own node sees them: in the evidence's block and successful, else NotObserved. `read`:
    how to read them (default `view.tx_flows`)."""
    if not _reads_flows(view):
        raise NotObserved(f"{rule}: this chain view cannot read transaction flows")
    tx_hash = evidence.detail[:intent.TX_HASH_BYTES]
    if len(tx_hash) != intent.TX_HASH_BYTES:
        raise NotObserved(f"{rule}: the evidence names no transaction")
    flows = await (read or view.tx_flows)(tx_hash)
    if flows is None:
        raise NotObserved(f"{rule}: transaction 0x{tx_hash.hex()} is not on our chain")
    if flows.block != evidence.block_to:
        raise NotObserved(f"{rule}: transaction 0x{tx_hash.hex()[:12]} is in block "
                          f"{flows.block} on our chain, the evidence says {evidence.block_to}")
    if not flows.ok:
        raise NotObserved(f"{rule}: transaction 0x{tx_hash.hex()[:12]} reverted on our chain")
    return flows


async def returns_own_claims(view: ChainView, params: DetectionParams, tx_hash: bytes) -> bool:
    """The transaction only returns its takers their own claims (needs a claims view: without
    one nobody can tell whose value it was, and this is False)."""
    if params.claims is None or not _reads_flows(view):
        return False
    flows = await view.tx_flows(tx_hash)
    if flows is None or not flows.ok:
        return False
    facts = [await derive_facts(view, params, flows, token) for token in params.tokens
             if intent.net_outflow(flows.transfers, params.monitored, token) > 0]
    return intent.only_own_claims(facts)
