"""PREPARED evidence (a new contract whose simulated probe breaks a rule) in both directions.

Finding it needs the chain's contract creations and a simulation batch per candidate, not the
block-pinned reads of a `ChainView`: `node.prepared_loop` does that once per head for every
protocol, so `scan` here finds nothing on its own. Re-observing a peer's evidence is the broken
rule's own observation, made on the view of this node's re-run of the probe
(`node.prepared_check.ProbeView`: the base block is the state before the probe, the next block
the state after it).
"""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, NotObserved, Watched
from node.detectors.prepared_extraction import probe_facts
from protocol.detection import EvidenceKind
from protocol.evidence import Evidence
from protocol.prepared import PreparedError, decode_probe

PROBED_RULES = (EvidenceKind.OUTFLOW, EvidenceKind.BALANCE_DROP, EvidenceKind.INVARIANT,
                EvidenceKind.EXTRACTION)


class PreparedDetector(Detector):
    name = "prepared"
    kind = EvidenceKind.PREPARED

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        return []  # node.prepared_loop probes new contracts once per head for every protocol

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        try:
            probe = decode_probe(evidence.detail)
        except PreparedError as exc:
            raise NotObserved(str(exc)) from exc
        if probe.rule not in PROBED_RULES:
            raise NotObserved(f"rule {probe.rule} cannot judge a probe")
        if probe.rule == EvidenceKind.EXTRACTION:
            return self._extraction(view, evidence, probe)
        inner = Evidence(kind=probe.rule, protocol_id=evidence.protocol_id,
                         block_from=evidence.block_from, block_to=evidence.block_to,
                         subject=evidence.subject, observed=evidence.observed,
                         detail=probe.rule_detail)
        return tuple(await Detector.registry[EvidenceKind(probe.rule)]().observe(view, inner))

    @staticmethod
    def _extraction(view, evidence: Evidence, probe) -> tuple[int, ...]:
        """The intent facts of our re-run (`prepared_extraction`); the beneficiaries the evidence
        names must be the ones our re-run shows."""
        params = getattr(view, "params", None)
        if params is None:
            raise NotObserved("extraction: this view did not re-run the probe")
        facts = probe_facts(params, probe.creation, probe.sender, probe.contract,
                            view.transfers, view.states[view.base], view.states[view.base + 1],
                            evidence.subject)
        if facts.detail() != probe.rule_detail:
            ours = ", ".join("0x" + b.hex() for b in facts.beneficiaries)
            raise NotObserved(f"extraction: the beneficiaries differ; our re-run shows {ours}")
        return facts.observed()
