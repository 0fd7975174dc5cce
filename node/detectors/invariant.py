"""Invariant detector: each registered view call must keep returning `true`; evidence is a break
(held at one block, not at a later one), after the protocol's last release."""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, Watched
from protocol.detection import MAX_INVARIANT_SPAN, EvidenceKind, invariant_holds
from protocol.evidence import Evidence


class InvariantDetector(Detector):
    name = "invariant"
    kind = EvidenceKind.INVARIANT

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        found: list[Detection] = []
        earliest = max(watched.release_block + 1, head - MAX_INVARIANT_SPAN)
        for inv in watched.params.invariants:
            if invariant_holds(await view.call(inv.target, inv.data, head)):
                continue
            # Where did it last hold? The block before (the common case, watching every head),
            # else the first block after the release (a missed head).
            for start in dict.fromkeys((head - 1, earliest)):
                if earliest <= start < head and invariant_holds(
                        await view.call(inv.target, inv.data, start)):
                    evidence = Evidence(kind=EvidenceKind.INVARIANT,
                                        protocol_id=watched.protocol_id, block_from=start,
                                        block_to=head, subject=inv.target, observed=(1, 0),
                                        detail=inv.data)
                    found += self.judged(watched, evidence)
                    break
        return found

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        held = []
        for block in (evidence.block_from, evidence.block_to):
            held.append(1 if invariant_holds(
                await view.call(evidence.subject, evidence.detail, block)) else 0)
        return tuple(held)
