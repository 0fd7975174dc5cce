"""What every detector shares: the detection it emits and the `Detector` base class. The chain
view it reads through and the protocols it watches are plain records in `node.records`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from node.records import ChainView, Watched
from protocol.detection import Verdict, check_evidence
from protocol.evidence import Evidence


@dataclass(frozen=True)
class Detection:
    protocol_id: bytes
    evidence: Evidence
    verdict: Verdict


class Detector(ABC):
    """Base class: `scan` looks at block `head` and returns evidence of violations."""

    name = "detector"

    @abstractmethod
    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        """Detections (violations only) for `watched` at block `head`."""

    @staticmethod
    def judged(watched: Watched, evidence: Evidence) -> list[Detection]:
        verdict = check_evidence(evidence, watched.params)
        return [Detection(watched.protocol_id, evidence, verdict)] if verdict.violated else []
