"""Pluggable detectors. Each turns the chain at a new head into candidate `Detection`s for the
protocols the oracle has registered, and re-observes a peer's evidence of its kind; the rule that
judges the evidence is pure and lives in `protocol.detection`, so every guardian reaches the same
verdict from the same evidence.

Every module of this package is loaded here, so a detector class registers itself by existing:
adding a detector is one module in this package plus its rule in `protocol.detection.RULES`.
"""

import importlib
import pkgutil

from node.detectors.base import Detection, Detector, NotObserved
from node.records import ChainView, Watched
from protocol.detection import EvidenceKind, Shape, shape_of

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

ALL_DETECTORS: tuple[type[Detector], ...] = tuple(
    Detector.registry[kind] for kind in sorted(Detector.registry))

__all__ = ["ALL_DETECTORS", "ChainView", "Detection", "Detector", "NotObserved", "Watched",
           "default_detectors", "detector_for", "report_order"]


def default_detectors() -> list[Detector]:
    return [cls() for cls in ALL_DETECTORS]


def detector_for(kind: int) -> Detector:
    """The detector that re-observes evidence of `kind` (every kind has one; see the tests)."""
    return Detector.registry[EvidenceKind(kind)]()


def report_order(detectors: list[Detector]) -> list[Detector]:
    """The order a transaction or a head is judged in, where only the first detection that opens
    an incident is reported: exploit-class before volatility-class (an exploit that also moved
    more than a balance limit gets the exploit's containment, not the circuit breaker), and
    EXTRACTION first among them (an exploit that also breaks a registered invariant is reported
    with the facts of its transaction: takers, their claims, flash loans), then kind order."""
    def key(d: Detector) -> tuple[bool, bool, int]:
        kind = getattr(d, "kind", None)  # a detector without a kind keeps its place, first
        if kind is None:
            return (False, True, -1)
        return (shape_of(kind) is not Shape.EXPLOIT, kind != EvidenceKind.EXTRACTION, int(kind))
    return sorted(detectors, key=key)
