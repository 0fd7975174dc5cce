"""Balance detectors: net outflow over the registered window (ERC-7265 style) and a sudden drop
between two consecutive blocks. With a claims view registered, a window whose outflow stayed
within its takers' own claims is not evidence (`node.detectors.claims_window`): it is not
reported, and a peer's report of one is refused."""

from __future__ import annotations

from abc import abstractmethod

from node.detectors import claims_window
from node.detectors.base import ChainView, Detection, Detector, NotObserved, Watched
from protocol.detection import DetectionParams, EvidenceKind
from protocol.evidence import Evidence


class _BalanceDetector(Detector):
    @abstractmethod
    def span(self, watched: Watched) -> int:
        """Blocks between the two balances compared; 0 disables the detector."""

    @abstractmethod
    def limit_bps(self, params: DetectionParams) -> int:
        """The registered limit this detector's rule applies."""

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
                for detection in self.judged(watched, evidence):
                    verdict = await claims_window.judge(view, watched.params, evidence,
                                                        self.limit_bps(watched.params))
                    if not verdict.within_claims:
                        found.append(detection)
        return found

    async def observe(self, view: ChainView, evidence: Evidence) -> tuple[int, ...]:
        return (await view.balance(evidence.subject, evidence.detail, evidence.block_from),
                await view.balance(evidence.subject, evidence.detail, evidence.block_to))

    async def reobserve(self, view: ChainView, evidence: Evidence,
                        params: DetectionParams | None = None) -> None:
        """The balances must be ours, and (with the registration at hand) the window must not
        have stayed within its takers' own claims: such a window is volatility, not evidence."""
        await super().reobserve(view, evidence, params)
        if params is None:
            return
        verdict = await claims_window.judge(view, params, evidence, self.limit_bps(params))
        if verdict.within_claims:
            raise NotObserved(f"{self.name}: the window stayed within its takers' own claims "
                              f"({verdict.reason})")


class OutflowDetector(_BalanceDetector):
    name = "outflow"
    kind = EvidenceKind.OUTFLOW

    def span(self, watched: Watched) -> int:
        return watched.params.window_blocks if watched.params.outflow_limit_bps else 0

    def limit_bps(self, params: DetectionParams) -> int:
        return params.outflow_limit_bps


class BalanceDropDetector(_BalanceDetector):
    name = "balance_drop"
    kind = EvidenceKind.BALANCE_DROP

    def span(self, watched: Watched) -> int:
        return 1 if watched.params.balance_drop_bps else 0

    def limit_bps(self, params: DetectionParams) -> int:
        return params.balance_drop_bps
