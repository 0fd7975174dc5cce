"""The preparation watch: contain an exploit at its deployment, before the attack transaction.

    new head ──> creations in it (node.chain.deployments) ─┐
    pending creation (node.pending_loop) ──────────────────┤
                                                           v
    cheap filter (protocol.prepared.mentions) ──> candidates (probed again at each head for
    WATCH_BLOCKS blocks: an attack contract is often funded after its deployment)
        ──> probes: one eth_simulateV1 batch per candidate on the head (node.chain.probe)
        ──> a probe breaking a registered rule, re-run alone ──> PREPARED evidence ──> pipeline

Bounded per head (constants below, exported as `guardian_prepared_bound`): candidates probed,
selectors per candidate, probes per candidate, gas per probe, seconds per head (the rest waits
for the next head); the loop runs in its own task on its own RPC client whose timeout bounds a
batch, so neither the head loop nor the pending loop ever waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio

from node.chain.decode import ChainError
from node.chain.deployments import Creation, DeploymentSource
from node.chain.probe import ProbeCall, Prober, creation_address
from node.chain.rawtx import RawTx
from node.chain.rpc import ChainRpc, checksum
from node.chain.simulate import reads_for
from node.detectors.base import Detection
from node.detectors.prepared_extraction import outflow, takes_value
from node.prepared_judge import Candidate, judge_probe, judge_run, registered_addresses, run_alone
from node.records import BlockHeader, Watched
from protocol.pending import next_block_time
from protocol.prepared import mentions, probe_calls, selectors

log = logging.getLogger("guardian.prepared")

MAX_CANDIDATES_PER_HEAD = 4  # candidates probed per head (newest first)
MAX_SELECTORS = 8  # external functions probed per candidate (plus the fallback)
MAX_PROBES = 48  # probe calls per candidate per head (one simulation batch)
PROBE_GAS = 1_000_000  # gas per probe call
HEAD_SECONDS = 4.0  # of probing per head
MAX_TAKING_RUNS = 2  # probes per candidate per head re-run alone only for EXTRACTION
BATCH_SECONDS = 5.0  # the prober's RPC timeout: one batch answers within it or fails
WATCH_BLOCKS = 32  # a candidate is probed again at each head this many blocks after creation
MAX_TRACKED = 32  # candidates kept (the oldest leave first)
STORAGE_SLOTS = 4  # storage words read for addresses a constructor stored
MAX_CREATION_GAS = 10_000_000  # a pending creation simulated with at most this much gas
MAX_BEHIND = 8  # blocks of creations read at a head after the loop skipped heads
PENDING_BACKLOG = 16  # pending creations waiting, and waiting again for their nonce
BOUNDS = {"candidates_per_head": MAX_CANDIDATES_PER_HEAD, "selectors": MAX_SELECTORS,
          "probes_per_candidate": MAX_PROBES, "gas_per_probe": PROBE_GAS,
          "seconds_per_head": HEAD_SECONDS, "seconds_per_batch": BATCH_SECONDS,
          "watch_blocks": WATCH_BLOCKS}


class PreparedLoop:
    def __init__(self, *, rpc: ChainRpc, header: Callable[[], BlockHeader | None],
                 watched: Callable[[], dict[bytes, Watched]], on_detection, metrics=None) -> None:
        self.rpc = rpc
        self.source = DeploymentSource(rpc)
        self.prober = Prober(rpc)
        self.header = header
        self.watched = watched
        self.on_detection = on_detection  # async (Detection, detector name) -> bool (opened)
        self.metrics = metrics
        self.candidates: dict[bytes, Candidate] = {}
        self.probed = 0  # probe calls simulated (all heads)
        self.scanned: int | None = None  # the last block whose creations were read
        self._pending_send, self._pending_recv = trio.open_memory_channel[RawTx](PENDING_BACKLOG)
        self._sim_time: tuple[bytes, int] = (b"", 0)
        self.retry: dict[bytes, RawTx] = {}  # pending creations not yet their sender's next
        if metrics:
            for name, value in BOUNDS.items():
                metrics.prepared_bound.labels(bound=name).set(value)

    def on_pending_creation(self, tx: RawTx) -> None:
        """A pending transaction without `to` (from the pending loop): probed at once."""
        try:
            self._pending_send.send_nowait(tx)
        except trio.WouldBlock:
            self._count("creations", "dropped")

    async def run(self) -> None:
        last = None
        while True:
            tx = None
            with trio.move_on_after(0.05):  # a new head is looked for at least this often
                tx = await self._pending_recv.receive()
            header = self.header()
            if tx is not None and header is not None:  # outside the timeout: not cut short
                await self._guard(self.examine_pending(tx, header))
            if header is not None and (last is None or header.number > last):
                last = header.number
                for tx in list(self.retry.values()):
                    del self.retry[tx.hash]
                    await self._guard(self.examine_pending(tx, header))
                await self._guard(self.on_head(header))

    async def _guard(self, work) -> None:
        try:
            await work
        except Exception as exc:  # noqa: BLE001 - one head's or creation's trouble skips it only
            log.debug("preparation watch: %s: %s", type(exc).__name__, exc)
            self._count("batches", "error")

    async def on_head(self, header: BlockHeader) -> list[Detection]:
        """Creations mined since the last head seen (a busy loop skips heads: their creations are
        not skipped, up to MAX_BEHIND blocks), then up to MAX_CANDIDATES_PER_HEAD candidates
        probed, newest first; one whose balances have not changed since its last probe is not
        probed again (an attack contract funded after its deployment is)."""
        started = trio.current_time()
        watched = self._watchable()
        if not watched:
            return []
        first = header.number if self.scanned is None else max(
            self.scanned + 1, header.number - MAX_BEHIND)
        for number in range(first, header.number + 1):
            try:
                for creation in await self.source.creations(number):
                    await self._consider(creation, header, watched)
            except ChainError as exc:
                log.debug("creations of block %d not read: %s", number, exc)
                self._count("batches", "error")
                break  # tried again at the next head
            self.scanned = number
        for address, cand in list(self.candidates.items()):
            if cand.block is not None and header.number - cand.block > WATCH_BLOCKS:
                del self.candidates[address]
        order = sorted((c for c in self.candidates.values() if c.block is not None),
                       key=lambda c: -c.block)  # pending ones were probed when they arrived
        found: list[Detection] = []
        for cand in order[:MAX_CANDIDATES_PER_HEAD]:
            if trio.current_time() - started > HEAD_SECONDS:
                self._count("batches", "deferred")
                break
            try:
                mark = await self._balances(cand, header, watched)
                if mark == cand.fingerprint:
                    continue
                found = await self.probe(cand, header)
                cand.fingerprint = mark
            except ChainError as exc:  # one candidate's trouble skips it only
                log.debug("probes of 0x%s failed: %s", cand.address.hex(), exc)
                self._count("batches", "error")
            if found:
                break
        if self.metrics:
            self.metrics.prepared_head_seconds.observe(trio.current_time() - started)
        return found

    async def _balances(self, cand: Candidate, header: BlockHeader, watched) -> tuple[int, ...]:
        """The candidate's ether and registered-token balances (unchanged since its last probe:
        not probed again)."""
        tokens = sorted({t for w in watched for t in w.params.tokens})
        return (await self.prober.balance_of(cand.address, header.number),
                *[await self.rpc.balance(t, cand.address, header.number) for t in tokens])

    async def examine_pending(self, tx: RawTx, header: BlockHeader) -> list[Detection]:
        """A pending creation: its code (its constructor simulated on the head), the filter,
        and the probes after it in the same simulated block."""
        watched = self._watchable()
        if not watched or tx.to is not None:
            return []
        count = await self.rpc._run("eth_getTransactionCount", lambda: self.rpc.w3.eth
                                    .get_transaction_count(checksum(tx.sender), header.number))
        if int(count) != tx.nonce:
            # behind another of its sender's transactions (this head is older than the chain):
            # tried again at the next heads; mined already: the head's creations have it
            if int(count) < tx.nonce and len(self.retry) < PENDING_BACKLOG:
                self.retry[tx.hash] = tx
            self._count("creations", "stale")
            return []
        self.retry.pop(tx.hash, None)
        if tx.gas > MAX_CREATION_GAS:
            self._count("creations", "too_much_gas")
            return []
        sim_time = await self._next_block_time(header)
        code = await self.prober.runtime_code(tx, header, sim_time)
        address = creation_address(tx.sender, tx.nonce)
        cand = self._candidate(Creation(address, tx.hash, tx.sender, header.number + 1, code),
                               code, (), watched, raw=tx)
        if cand is None:
            return []
        cand.block = None
        return await self.probe(cand, header)

    async def _consider(self, creation: Creation, header: BlockHeader, watched) -> None:
        code = creation.code if creation.code is not None else await self.source.code(
            creation.address, header.number)
        if creation.address in self.candidates and self.candidates[creation.address].block:
            return  # a factory's CREATE2 seen twice, or a block read again
        try:
            stored = await self.source.storage(creation.address, STORAGE_SLOTS, header.number)
        except ChainError:
            stored = []
        self._candidate(creation, code, stored, watched)

    def _candidate(self, creation: Creation, code: bytes, stored, watched,
                   raw: RawTx | None = None) -> Candidate | None:
        registered = set().union(*(registered_addresses(w) for w in watched))
        hits = mentions(code, registered, stored) if code else set()
        self._count("creations", "candidate" if hits else "filtered")
        if not hits:
            return None
        cand = Candidate(creation.address, creation.tx_hash, creation.sender, code,
                         creation.block, raw, hits)
        self.candidates[cand.address] = cand
        while len(self.candidates) > MAX_TRACKED:
            del self.candidates[next(iter(self.candidates))]
        return cand

    async def probe(self, cand: Candidate, header: BlockHeader) -> list[Detection]:
        """Every probe of `cand` in one batch on `header`; a violating probe is re-run alone and,
        if it still breaks the rule, becomes evidence handed to the pipeline."""
        everywhere = bool(cand.hits - set().union(*(registered_addresses(w)
                                                    for w in self._watchable())))
        # A flash lender (or a flash-loan selector) reaches any protocol: probe them all.
        watched = [w for w in self._watchable() if cand.sender != w.params.admin
                   and (everywhere or cand.hits & registered_addresses(w))]
        if not watched:
            return []
        sim_time = await self._next_block_time(header)
        pending = cand.raw if cand.block is None else None
        amounts, targets = [], []
        for w in watched:
            targets += list(w.params.monitored)
            for holder in w.params.monitored:
                for token in w.params.tokens:
                    amounts.append(await self.rpc.balance(token, holder, header.number))
        value = await self.prober.balance_of(cand.sender, header.number)
        calls = probe_calls(selectors(cand.code, MAX_SELECTORS), amounts, targets)
        probes = [ProbeCall(cand.sender, v, data) for data in calls
                  for v in dict.fromkeys((0, value))][:MAX_PROBES]
        reads = reads_for(watched)
        batch = await self.prober.run(cand.address, probes, reads, header, sim_time, PROBE_GAS,
                                      creation=pending, search=True)
        self.probed += len(probes)
        self._count("batches", "ok")
        if self.metrics:
            self.metrics.prepared_probes.inc(len(probes))
        taking = 0  # probes re-run only to judge what they take (EXTRACTION), largest first
        for k in sorted(range(len(probes)), key=lambda k: -outflow(watched, batch.transfers[k])):
            probe = probes[k]
            if not batch.ok[k]:
                continue
            for w in watched:
                if not judge_probe(w, cand, probe, batch.reads[k], batch.reads[k + 1], header,
                                   sim_time):
                    if taking >= MAX_TAKING_RUNS or not takes_value(w.params, batch.transfers[k]):
                        continue
                    taking += 1
                alone = await run_alone(self.prober, w, cand, probe, batch.transfers[k], header,
                                        sim_time, PROBE_GAS, pending)
                if alone is None:
                    continue
                found = judge_run(w, cand, probe, alone.reads[0], alone.reads[1],
                                  alone.transfers[0], header, sim_time)
                for det in found:
                    log.info("new contract 0x%s (tx 0x%s) probed from 0x%s would break %s: %s",
                             cand.address.hex(), cand.creation.hex()[:12], cand.sender.hex(),
                             w.protocol_id.hex()[:12], det.verdict.reason)
                    if self.metrics:
                        self.metrics.prepared_evidence.inc()
                    await self.on_detection(det, "prepared")
                    self.candidates.pop(cand.address, None)
                    return found
        return []

    def _watchable(self) -> list[Watched]:
        return [w for w in self.watched().values() if not w.contained]

    async def _next_block_time(self, header: BlockHeader) -> int:
        if self._sim_time[0] != header.hash:
            parent = await self.rpc.header(header.number - 1)
            self._sim_time = (header.hash, next_block_time(header.timestamp, parent.timestamp))
        return self._sim_time[1]

    def _count(self, what: str, result: str) -> None:
        if not self.metrics:
            return
        counter = (self.metrics.prepared_creations if what == "creations"
                   else self.metrics.prepared_batches)
        counter.labels(result=result).inc()
