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
from protocol.detection import EvidenceKind

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

ALL_DETECTORS: tuple[type[Detector], ...] = tuple(
    Detector.registry[kind] for kind in sorted(Detector.registry))

__all__ = ["ALL_DETECTORS", "ChainView", "Detection", "Detector", "NotObserved", "Watched",
           "default_detectors", "detector_for", "pending_order"]


def default_detectors() -> list[Detector]:
    return [cls() for cls in ALL_DETECTORS]


def detector_for(kind: int) -> Detector:
    """The detector that re-observes evidence of `kind` (every kind has one; see the tests)."""
    return Detector.registry[EvidenceKind(kind)]()


def pending_order(detectors: list[Detector]) -> list[Detector]:
    """The order a pending transaction is judged in: EXTRACTION first, then the others in kind
    order. The pending loop reports only the first detection a transaction opens, and an exploit
    that also breaks a registered invariant would otherwise always be reported as INVARIANT:
    EXTRACTION names the transaction, its takers and what was theirs, which is what a co-signer,
    `guardian audit` and the explorer judge it by."""
    return sorted(detectors, key=lambda d: (d.kind != EvidenceKind.EXTRACTION,
                                            -1 if d.kind is None else int(d.kind)))
