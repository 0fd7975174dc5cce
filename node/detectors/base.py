"""What every detector shares: the chain view it reads through, the protocols it watches, and the
detection it emits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from node.chain.records import LogRecord
from protocol.detection import DetectionParams, Verdict, check_evidence
from protocol.evidence import Evidence


class ChainView(Protocol):
    """The reads detectors and re-verification need, each pinned to a block number."""

    async def balance(self, token: bytes, holder: bytes, block: int) -> int: ...

    async def call(self, target: bytes, data: bytes, block: int) -> bytes | None: ...

    async def logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                   block: int) -> list[LogRecord]: ...

    async def log_at(self, tx_hash: bytes, log_index: int) -> LogRecord | None: ...


@dataclass(frozen=True)
class Watched:
    """A registered protocol as the detectors see it."""

    protocol_id: bytes
    params: DetectionParams
    allowed_actions: int
    contained: bool = False


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
