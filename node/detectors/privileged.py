"""Privileged-change detector: ownership, role or implementation changes on a monitored contract
that the protocol's own governance did not make."""

from __future__ import annotations

from node.detectors.base import ChainView, Detection, Detector, NotObserved, Watched
from protocol.detection import PRIVILEGED_TOPICS, EvidenceKind
from protocol.evidence import Evidence


class PrivilegedChangeDetector(Detector):
    name = "privileged_change"
    kind = EvidenceKind.PRIVILEGED_CHANGE

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

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        tx_hash, topic, actor = evidence.detail[:32], evidence.detail[32:64], evidence.detail[64:]
        entry = await view.log_at(tx_hash, evidence.observed[0])
        if (entry is None or entry.address != evidence.subject
                or entry.block_number != evidence.block_to or not entry.topics
                or entry.topics[0] != topic or entry.tx_from != actor):
            raise NotObserved("the claimed log is not on our chain")
        return (entry.log_index,)
