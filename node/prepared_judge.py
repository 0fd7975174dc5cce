"""Judging one probe of a new contract: the candidate record, and the PREPARED evidence a
probe's before/after makes under the first registered rule it breaks (`judge_probe`), the
same for the search batch, the probe run alone, and (through the detector) a peer's re-run."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.chain.probe import ProbeCall
from node.chain.rawtx import RawTx
from node.chain.simulate import Read, balance_read, reads_for
from node.detectors.base import Detection, Detector
from node.detectors.prepared_extraction import (
    claim_reads,
    judge_extraction_probe,
    probe_beneficiaries,
)
from node.records import BlockHeader, Watched, usable_actions
from protocol.containment import Shape
from protocol.detection import ETHER, EvidenceKind, choose_action, evidence_shape, invariant_holds
from protocol.evidence import Evidence
from protocol.prepared import Probe, encode_probe


@dataclass
class Candidate:
    address: bytes
    creation: bytes  # the creating transaction's hash
    sender: bytes
    code: bytes
    block: int | None  # mined at; None: pending
    raw: RawTx | None = None  # the pending creation
    hits: set[bytes] = field(default_factory=set)
    fingerprint: tuple[int, ...] | None = None  # its balances at its last probe


def registered_addresses(watched: Watched) -> set[bytes]:
    p = watched.params
    return ({*p.monitored, *p.tokens, *(i.target for i in p.invariants)}) - {ETHER}


def judge_probe(watched: Watched, cand: Candidate, probe: ProbeCall, before: dict[Read, bytes | None],
                after: dict[Read, bytes | None], base: BlockHeader,
                sim_time: int) -> list[Detection]:
    """The first rule (invariants, then each balance's drop and outflow, in registration order)
    that the probe's before/after breaks, as PREPARED evidence judged by that rule's check; the
    evidence has that rule's class, and evidence whose class engages nothing the protocol allows
    is not evidence here (a balance rule without an allowed circuit breaker: never gossiped)."""
    p = watched.params
    shapes: list[tuple[int, bytes, bytes, tuple[int, int]]] = []
    # Only a transition a rule can call a violation is built into evidence and judged: an
    # invariant that held and broke, a balance that fell (`protocol.detection`: nothing else
    # violates). Most probes move nothing; building and checking evidence for each of their
    # unchanged reads took a third of a guardian's event loop in the detection benchmark.
    for inv in p.invariants:
        read = (inv.target, inv.data)
        if read in before and read in after:
            observed = (int(invariant_holds(before[read])), int(invariant_holds(after[read])))
            if observed == (1, 0):
                shapes.append((EvidenceKind.INVARIANT, inv.target, inv.data, observed))
    for holder in p.monitored:
        for token in p.tokens:
            read = balance_read(token, holder)
            b, a = before.get(read), after.get(read)
            if b is None or a is None or len(b) != 32 or len(a) != 32:
                continue
            values = (int.from_bytes(b, "big"), int.from_bytes(a, "big"))
            if values[1] >= values[0]:
                continue
            for kind in (EvidenceKind.BALANCE_DROP, EvidenceKind.OUTFLOW):
                shapes.append((kind, token, holder, values))
    for rule, subject, rule_detail, observed in shapes:
        detail = encode_probe(Probe(
            rule=int(rule), rule_detail=rule_detail, contract=cand.address,
            creation=cand.creation, pending=cand.block is None,
            sender=probe.sender, value=probe.value, calldata=probe.data, base_hash=base.hash,
            sim_time=sim_time))
        ev = Evidence(kind=EvidenceKind.PREPARED, protocol_id=watched.protocol_id,
                      block_from=base.number, block_to=base.number + 1, subject=subject,
                      observed=observed, detail=detail)
        if choose_action(ev, usable_actions(watched)) is None:
            continue  # its class engages nothing here (a balance rule, no circuit breaker): silent
        found = Detector.judged(watched, ev)
        if found:
            return found
    return []


async def run_alone(prober, w: Watched, cand: Candidate, probe: ProbeCall, transfers,
                    header: BlockHeader, sim_time: int, gas: int, pending):
    """The probe run alone (what a peer re-runs), with the claims of its beneficiaries read
    right before it; run again if alone it pays others than in the batch. None: it reverts."""
    for _ in range(2):
        named = probe_beneficiaries(w.params, probe.sender, cand.address, transfers)
        reads = reads_for([w]) + claim_reads(w.params, named)
        alone = await prober.run(cand.address, [probe], reads, header, sim_time, gas,
                                 creation=pending)
        if not alone.ok[0]:
            return None
        transfers = alone.transfers[0]
        if probe_beneficiaries(w.params, probe.sender, cand.address, transfers) == named:
            break
    return alone


def judge_run(watched: Watched, cand: Candidate, probe: ProbeCall, before: dict[Read, bytes | None],
              after: dict[Read, bytes | None], transfers, base: BlockHeader,
              sim_time: int) -> list[Detection]:
    """Exploit-class evidence first: an invariant the probe breaks, else value it takes beyond
    its takers' claims (EXTRACTION), else a balance rule (volatility, if that engages anything)."""
    found = judge_probe(watched, cand, probe, before, after, base, sim_time)
    if found and evidence_shape(found[0].evidence) is Shape.EXPLOIT:
        return found
    taken = judge_extraction_probe(watched, cand.creation, cand.block is None, probe.sender,
                                   cand.address, probe.value, probe.data, transfers, before,
                                   after, base, sim_time)
    return taken or found
