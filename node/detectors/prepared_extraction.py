"""PREPARED evidence judged by EXTRACTION: a probe of a new contract that takes value out of a
monitored contract beyond its takers' own claims (`protocol.intent`, exploit class).

The probe's simulation (`node.chain.probe`, `traceTransfers`) gives its value flows. From them and
the reads around the probe, the facts are those of a transaction that is the probe:
- beneficiaries: the probe's sender, the new contract, then every receiver of value leaving a
  monitored contract (at most `MAX_PROBE_BENEFICIARIES`, so the detail fits a probe);
- claims: the registered claims view `claimOf(beneficiary, token)` read in the same simulated
  block right before the probe (so they are the base block's, after a pending creation);
- balance before, invariants held before and after: the same reads around the probe;
- flash loans: from the probe's transfers; young: 1 (the contract was created after, or at, the
  base block).
The detail's 32-byte tag is the creation's hash. The prober learns the beneficiaries from a first
run and reads their claims in the run alone; a co-signer reads the claims of the beneficiaries
the evidence names, re-derives every fact from its own re-run and refuses any difference
(`node.detectors.prepared`). Pure functions over the reads; no I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.chain.simulate import Read, balance_read
from node.detectors.base import Detection, Detector
from node.records import BlockHeader, Watched, usable_actions
from protocol import intent
from protocol.detection import DetectionParams, EvidenceKind, choose_action, invariant_holds
from protocol.evidence import Evidence
from protocol.prepared import MAX_PROBE_BENEFICIARIES, Probe, encode_probe


def takes_value(params: DetectionParams, transfers: Sequence[intent.Transfer]) -> bool:
    """The cheap filter: some registered token left the monitored contracts, net."""
    return any(intent.net_outflow(transfers, params.monitored, token) > 0
               for token in params.tokens)


def outflow(watched: Sequence[Watched], transfers: Sequence[intent.Transfer]) -> int:
    """The largest net outflow of one registered token a probe makes (ordering only)."""
    return max((intent.net_outflow(transfers, w.params.monitored, token) for w in watched
                for token in w.params.tokens), default=0)


def probe_beneficiaries(params: DetectionParams, sender: bytes, contract: bytes,
                        transfers: Sequence[intent.Transfer]) -> tuple[bytes, ...]:
    return intent.beneficiaries_of(sender, contract, transfers,
                                   params.monitored)[:MAX_PROBE_BENEFICIARIES]


def detail_beneficiaries(rule_detail: bytes) -> tuple[bytes, ...]:
    """The beneficiaries an EXTRACTION-judged probe names (malformed: none; the check refuses)."""
    body = rule_detail[intent.TX_HASH_BYTES:]
    if len(body) % 20 or len(body) // 20 > MAX_PROBE_BENEFICIARIES:
        return ()
    return tuple(body[i:i + 20] for i in range(0, len(body), 20))


def claim_reads(params: DetectionParams, beneficiaries: Sequence[bytes]) -> list[Read]:
    """The claims view reads for these beneficiaries in every registered token."""
    if params.claims is None:
        return []
    return [(params.claims, intent.claim_of_calldata(b, token))
            for token in params.tokens for b in beneficiaries]


def _uint(answer: bytes | None) -> int:
    return int.from_bytes(answer, "big") if answer is not None and len(answer) == 32 else 0


def probe_facts(params: DetectionParams, tag: bytes, sender: bytes, contract: bytes,
                transfers: Sequence[intent.Transfer], before: dict[Read, bytes | None],
                after: dict[Read, bytes | None], token: bytes) -> intent.ExtractionFacts:
    """The intent facts of one probe for `token` (a claim not read counts as none)."""
    beneficiaries = probe_beneficiaries(params, sender, contract, transfers)
    claims = sum(intent.decode_claim(before.get(read))
                 for read in claim_reads(params, beneficiaries) if read[1][-20:] == token)
    balance = sum(_uint(before.get(balance_read(token, h))) for h in params.monitored)
    held = [intent.held_mask([invariant_holds(state.get((inv.target, inv.data)))
                              for inv in params.invariants]) for state in (before, after)]
    return intent.ExtractionFacts(
        tx_hash=tag, beneficiaries=beneficiaries,
        extracted=intent.net_outflow(transfers, params.monitored, token), claims=claims,
        balance_before=balance, flash_loans=intent.flash_loans(transfers, params.monitored),
        young=1, held_before=held[0], held_after=held[1])


def judge_extraction_probe(watched: Watched, creation: bytes, pending: bool, sender: bytes,
                           contract: bytes, value: int, calldata: bytes,
                           transfers: Sequence[intent.Transfer], before: dict[Read, bytes | None],
                           after: dict[Read, bytes | None], base: BlockHeader,
                           sim_time: int) -> list[Detection]:
    """PREPARED evidence with inner rule EXTRACTION for the first registered token whose facts
    are an extraction, if the protocol allows an action for it; else nothing."""
    p = watched.params
    for token in p.tokens:
        facts = probe_facts(p, creation, sender, contract, transfers, before, after, token)
        if facts.extracted == 0 or not facts.beneficiaries:
            continue
        detail = encode_probe(Probe(
            rule=int(EvidenceKind.EXTRACTION), rule_detail=facts.detail(), contract=contract,
            creation=creation, pending=pending, sender=sender, value=value, calldata=calldata,
            base_hash=base.hash, sim_time=sim_time))
        ev = Evidence(kind=EvidenceKind.PREPARED, protocol_id=watched.protocol_id,
                      block_from=base.number, block_to=base.number + 1, subject=token,
                      observed=facts.observed(), detail=detail)
        if choose_action(ev, usable_actions(watched)) is None:
            continue
        found = Detector.judged(watched, ev)
        if found:
            return found
    return []
