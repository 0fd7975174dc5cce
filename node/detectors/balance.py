"""Balance detectors: net outflow over the registered window (ERC-7265 style) and a sudden drop
between two consecutive blocks."""

from __future__ import annotations

from abc import abstractmethod

from node.detectors.base import ChainView, Detection, Detector, Watched
from protocol.detection import EvidenceKind
from protocol.evidence import Evidence


class _BalanceDetector(Detector):
    @abstractmethod
    def span(self, watched: Watched) -> int:
        """Blocks between the two balances compared; 0 disables the detector."""

    async def scan(self, view: ChainView, watched: Watched, head: int) -> list[Detection]:
        span = self.span(watched)
        if span <= 0 or head < span:
            return []
        # The window starts after the last release: a drain already contained (or one
        # governance lifted on) is not evidence again.
        start = max(head - span, watched.release_block + 1)
        if start >= head:
            return []
        found: list[Detection] = []
        for holder in watched.params.monitored:
            for token in watched.params.tokens:
                before = await view.balance(token, holder, start)
                after = await view.balance(token, holder, head)
                evidence = Evidence(kind=self.kind, protocol_id=watched.protocol_id,
                                    block_from=start, block_to=head, subject=token,
                                    observed=(before, after), detail=holder)
                found += self.judged(watched, evidence)
        return found

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        return (await view.balance(evidence.subject, evidence.detail, evidence.block_from),
                await view.balance(evidence.subject, evidence.detail, evidence.block_to))


class OutflowDetector(_BalanceDetector):
    name = "outflow"
    kind = EvidenceKind.OUTFLOW

    def span(self, watched: Watched) -> int:
        return watched.params.window_blocks if watched.params.outflow_limit_bps else 0


class BalanceDropDetector(_BalanceDetector):
    name = "balance_drop"
    kind = EvidenceKind.BALANCE_DROP

    def span(self, watched: Watched) -> int:
        return 1 if watched.params.balance_drop_bps else 0
