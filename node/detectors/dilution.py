"""Dilution detector: per transaction that moved a registered ERC-20 token into a monitored
contract, the facts of `protocol.dilution` (what the depositors paid in, how much their claims
rose, whether the protocol recorded a deposit: an ERC-4626 `Deposit` or a share mint), judged
by the DILUTION rule. Only for protocols that registered a claims view: without one nothing is
read.

Mined path: each head's transactions with a Transfer of a registered token into a monitored
contract (one `eth_getLogs` of the tokens and the monitored contracts per head), the largest
deposit first, at most `MAX_TXS_PER_HEAD` per protocol per head. The claims "after" are read at
the end of the block, so a depositor that another transaction of the block names in a log of the
protocol or of a registered token is skipped (its later withdrawal would fake a shortfall).
Pending path: the same scan on the simulated block, whose only transaction is the pending one
(its depositors' claims are simulated reads: `node.chain.simulate.reads_for`).

A co-signer re-derives every fact from its own node (the same skip refuses the evidence) and
names the first difference.
"""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, NotObserved, Watched
from node.detectors.extraction import (
    _gather,
    _reads_flows,
    compare_facts,
    evidence_flows,
    remember,
)
from node.records import LogRecord
from protocol import dilution, intent
from protocol.detection import ETHER, DetectionParams, EvidenceKind
from protocol.evidence import Evidence

MAX_TXS_PER_HEAD = 8


def token_flows(view):
    """How DILUTION reads a transaction's flows: its facts count one registered ERC-20 token, so
    the receipt's transfers suffice where the view reads them alone (`tx_token_flows`: no trace);
    elsewhere (a simulation's view) the full flows."""
    return getattr(view, "tx_token_flows", None) or view.tx_flows


def _erc20(params: DetectionParams) -> tuple[bytes, ...]:
    return tuple(t for t in params.tokens if t != ETHER)


async def block_entries(view, params: DetectionParams, block: int) -> list[LogRecord]:
    """Every log of the registered ERC-20 tokens and the monitored contracts in `block`."""
    return await remember(view, ("dilution-logs", block, _erc20(params), params.monitored),
                          lambda: view.block_logs(_erc20(params) + params.monitored, (), block))


def _names(entry: LogRecord, accounts: set[bytes]) -> bool:
    return any(len(t) == 32 and t[:12] == b"\x00" * 12 and t[12:] in accounts
               for t in entry.topics[1:])


def others_touch(entries: list[LogRecord], tx_hash: bytes, depositors: tuple[bytes, ...]) -> bool:
    """Another transaction of the block names a depositor in a log of the protocol or a token."""
    accounts = set(depositors)
    return any(e.tx_hash != tx_hash and _names(e, accounts) for e in entries)


async def derive_facts(view: ChainView, params: DetectionParams, flows, token: bytes,
                       depositors: tuple[bytes, ...], entries: list[LogRecord]
                       ) -> dilution.DilutionFacts:
    block, before = flows.block, flows.block - 1
    reads = [view.call(params.claims, intent.claim_of_calldata(d, token), at)
             for at in (before, block) for d in depositors]
    reads += [view.balance(token, holder, before) for holder in params.monitored]
    answers = await _gather(reads)
    count = len(depositors)
    minted = dilution.deposit_records(((e.address, e.topics) for e in entries
                                       if e.tx_hash == flows.tx_hash), params.monitored)
    return dilution.DilutionFacts(
        tx_hash=flows.tx_hash, depositors=depositors,
        deposited=dilution.deposited(flows.transfers, params.monitored, depositors, token),
        claims_before=sum(intent.decode_claim(a) for a in answers[:count]),
        claims_after=sum(intent.decode_claim(a) for a in answers[count:2 * count]),
        balance_before=sum(answers[2 * count:]), minted=minted)


def candidates(entries: list[LogRecord], params: DetectionParams) -> list[bytes]:
    """Transactions with a Transfer of a registered ERC-20 token into a monitored contract from
    outside: the largest first (then by hash), at most MAX_TXS_PER_HEAD."""
    monitored, tokens = set(params.monitored), set(_erc20(params))
    amounts: dict[bytes, int] = {}
    for e in entries:
        if (e.address in tokens and len(e.topics) == 3 and e.topics[0] == intent.TRANSFER_TOPIC
                and e.topics[2][12:] in monitored and e.topics[1][12:] not in monitored
                and len(e.data) == 32):
            amounts[e.tx_hash] = amounts.get(e.tx_hash, 0) + int.from_bytes(e.data, "big")
    ranked = sorted(amounts.items(), key=lambda item: (-item[1], item[0]))
    return [tx_hash for tx_hash, _ in ranked[:MAX_TXS_PER_HEAD]]


class DilutionDetector(Detector):
    name = "dilution"
    kind = EvidenceKind.DILUTION

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        params = watched.params
        if (params.claims is None or not _reads_flows(view) or not params.monitored
                or not _erc20(params) or head <= watched.release_block):
            return []
        entries = await block_entries(view, params, head)
        found: list[Detection] = []
        for tx_hash in candidates(entries, params):
            flows = await token_flows(view)(tx_hash)
            if flows is None or not flows.ok or flows.block != head:
                continue
            depositors = dilution.depositors_of(flows.sender, flows.to, params.monitored)
            if not depositors or others_touch(entries, tx_hash, depositors):
                continue  # the claims at the end of the block are not this transaction's alone
            for token in _erc20(params):
                if dilution.deposited(flows.transfers, params.monitored, depositors, token) == 0:
                    continue
                facts = await derive_facts(view, params, flows, token, depositors, entries)
                evidence = Evidence(kind=EvidenceKind.DILUTION, protocol_id=watched.protocol_id,
                                    block_from=head, block_to=head, subject=token,
                                    observed=facts.observed(), detail=facts.detail())
                found += self.judged(watched, evidence)
        return found

    async def _facts(self, view, evidence: Evidence,
                     params: DetectionParams | None) -> dilution.DilutionFacts:
        if params is None or params.claims is None:
            raise NotObserved("dilution: re-observing needs the registration and its claims view")
        flows = await evidence_flows(view, evidence, "dilution", token_flows(view))
        depositors = dilution.depositors_of(flows.sender, flows.to, params.monitored)
        entries = await block_entries(view, params, flows.block)
        tx_hash = evidence.detail[:dilution.TX_HASH_BYTES]
        if not depositors or others_touch(entries, tx_hash, depositors):
            raise NotObserved("dilution: another transaction of the block names the depositor: "
                              "the claims after the block are not this transaction's")
        return await derive_facts(view, params, flows, evidence.subject, depositors, entries)

    async def observe(self, view: ChainView, evidence: Evidence,
                      params: DetectionParams | None = None) -> tuple[int, ...]:
        return (await self._facts(view, evidence, params)).observed()

    async def reobserve(self, view: ChainView, evidence: Evidence,
                        params: DetectionParams | None = None) -> None:
        facts = await self._facts(view, evidence, params)
        if facts.detail() != evidence.detail:
            ours = ", ".join("0x" + b.hex() for b in facts.depositors)
            raise NotObserved(f"dilution: the depositors differ; our chain shows {ours}")
        compare_facts("dilution", dilution.OBSERVED_FIELDS, evidence.observed, facts.observed())
