"""What every detector shares: the detection it emits and the `Detector` base class. The chain
view it reads through and the protocols it watches are plain records in `node.records`.

A detector owns one evidence kind (`protocol.detection.RULES` has its rule) in both directions:
`scan` turns the chain at a new head into evidence, and `reobserve` reads the same observations
back from this node's own chain view when a peer reports evidence of that kind. Subclasses with a
`kind` register themselves; `node.detectors` loads every module of the package, so adding a
detector is adding its module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from node.errors import NodeError
from node.records import ChainView, Watched
from protocol.detection import (
    DetectionParams,
    EvidenceKind,
    EvidenceVerdict,
    check_evidence,
    evidence_after_release,
)
from protocol.evidence import Evidence


class NotObserved(NodeError):
    """This node's chain does not show what the evidence claims; the message says what differs."""


@dataclass(frozen=True)
class Detection:
    protocol_id: bytes
    evidence: Evidence
    verdict: EvidenceVerdict


class Detector(ABC):
    """Base class: `scan` looks at block `head` and returns evidence of violations; `reobserve`
    checks a peer's evidence of this detector's kind against our own chain view."""

    name = "detector"
    kind: ClassVar[EvidenceKind | None] = None
    registry: ClassVar[dict[EvidenceKind, type[Detector]]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            other = Detector.registry.setdefault(kind, cls)
            if other is not cls:
                raise TypeError(f"{cls.__name__} and {other.__name__} both detect {kind.name}")

    @abstractmethod
    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        """Detections (violations only) for `watched` at block `head`."""

    @abstractmethod
    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        """What our chain view shows for the observations `evidence` claims; raise NotObserved
        if the claimed thing is not there at all."""

    async def reobserve(self, view: ChainView, evidence: Evidence,
                        params: DetectionParams | None = None) -> None:
        """Raise NotObserved unless our chain view shows exactly the claimed observations.
        `params` (the protocol's registered parameters) for detectors whose facts depend on them."""
        seen = tuple(await self.observe(view, evidence))
        if seen != tuple(evidence.observed):
            raise NotObserved(f"observed {tuple(evidence.observed)}, our chain shows {seen}")

    @staticmethod
    def judged(watched: Watched, evidence: Evidence) -> list[Detection]:
        if not evidence_after_release(evidence, watched.release_block):
            return []
        verdict = check_evidence(evidence, watched.params)
        return [Detection(watched.protocol_id, evidence, verdict)] if verdict.violated else []
