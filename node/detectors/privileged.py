"""Privileged-change detector: ownership, role or implementation changes on a monitored contract
that the protocol's own governance did not make."""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, Watched
from protocol.detection import PRIVILEGED_TOPICS
from protocol.evidence import Evidence, EvidenceKind


class PrivilegedChangeDetector(Detector):
    name = "privileged_change"

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        if not watched.params.monitored:
            return []
        logs = await view.logs(watched.params.monitored, tuple(PRIVILEGED_TOPICS), head)
        found: list[Detection] = []
        for log in logs:
            if not log.topics or log.topics[0] not in PRIVILEGED_TOPICS:
                continue
            evidence = Evidence(kind=EvidenceKind.PRIVILEGED_CHANGE,
                                protocol_id=watched.protocol_id, block_from=head, block_to=head,
                                subject=log.address, observed=(log.log_index,),
                                detail=log.tx_hash + log.topics[0] + log.tx_from)
            found += self.judged(watched, evidence)
        return found
