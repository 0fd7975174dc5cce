"""Invariant detector: each registered view call must keep returning `true`."""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, Watched
from protocol.detection import EvidenceKind, invariant_holds
from protocol.evidence import Evidence


class InvariantDetector(Detector):
    name = "invariant"
    kind = EvidenceKind.INVARIANT

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        found: list[Detection] = []
        for inv in watched.params.invariants:
            result = await view.call(inv.target, inv.data, head)
            evidence = Evidence(kind=EvidenceKind.INVARIANT, protocol_id=watched.protocol_id,
                                block_from=head, block_to=head, subject=inv.target,
                                observed=(1 if invariant_holds(result) else 0,), detail=inv.data)
            found += self.judged(watched, evidence)
        return found

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        result = await view.call(evidence.subject, evidence.detail, evidence.block_to)
        return (1 if invariant_holds(result) else 0,)
