"""Pluggable detectors. Each turns the chain at a new head into candidate `Detection`s for the
protocols the oracle has registered; the rule that judges the evidence is pure and lives in
`protocol.detection`, so every guardian reaches the same verdict from the same evidence."""

from node.detectors.balance import BalanceDropDetector, OutflowDetector
from node.detectors.base import ChainView, Detection, Detector, Watched
from node.detectors.invariant import InvariantDetector
from node.detectors.privileged import PrivilegedChangeDetector

ALL_DETECTORS = (OutflowDetector, BalanceDropDetector, InvariantDetector, PrivilegedChangeDetector)

__all__ = ["ALL_DETECTORS", "BalanceDropDetector", "ChainView", "Detection", "Detector",
           "InvariantDetector", "OutflowDetector", "PrivilegedChangeDetector", "Watched",
           "default_detectors"]


def default_detectors() -> list[Detector]:
    return [cls() for cls in ALL_DETECTORS]
