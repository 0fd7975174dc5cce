"""What a detection rule decides about one evidence (`protocol.detection.check_evidence`): its own
module so that rules living outside protocol/detection.py (protocol.dilution) return the same
verdict without importing the rule table that lists them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Finding(IntEnum):
    VIOLATION = 1
    NO_VIOLATION = 2
    MALFORMED = 3


@dataclass(frozen=True)
class EvidenceVerdict:
    finding: Finding
    reason: str

    @property
    def violated(self) -> bool:
        return self.finding is Finding.VIOLATION
