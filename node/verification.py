"""Re-verification of a peer's report: every field of the digest recomputed from this node's own
view, and the evidence observed again on its own chain, before this guardian signs anything.

Checks, in order (the first failure raises `ReportRejected` naming it):
chain id and oracle are ours; the key epoch is ours; the evidence belongs to the report; the
protocol is registered (if our view has not reached the evidence block yet, looked up once it
has: the registry is read at our first heads) and not already contained; the action is the one
the class of the evidence prescribes under the registration (`protocol.detection.choose_action`:
volatility engages only an allowed circuit breaker, exploit the strongest allowed action); the
evidence shows a violation under the registered parameters (`protocol.detection.check_evidence`);
our chain has reached the evidence block; the nonce is the oracle's; the deadline is the
protocol's validity after the evidence block; and the detector of the evidence kind observes the
same values on our chain (`node.detectors.Detector.reobserve`). Evidence about a pending
transaction is re-observed on the state after that transaction, simulated on this node
(`node.pending_check`); its deadline counts from the simulated block's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import trio

from node.chain.decode import ChainError
from node.detectors import NotObserved, detector_for
from node.errors import NodeError
from node.pending_check import PendingNotConfirmed, pending_view
from node.prepared_check import (
    PreparedNotConfirmed,
    is_prepared,
    prepared_view,
    simulated_time,
)
from node.records import ChainView, Watched, usable_actions
from protocol import messages
from protocol.detection import (
    EvidenceKind,
    check_evidence,
    choose_action,
    evidence_shape,
    report_deadline,
)
from protocol.pending import MAX_BASE_LAG_BLOCKS, base_block, base_too_old


class ReportRejected(NodeError):
    """A peer's report failed re-verification; the message says which check."""


class ReportNotYet(ReportRejected):
    """This node could not check the report yet (its view has not reached the evidence block, or
    a read failed): not a verdict on the report, which `node.deferred_reports` checks again."""

    def __init__(self, message: str, block: int) -> None:
        super().__init__(message)
        self.block = block  # the head this node must reach before checking again


class ReportContradicted(ReportRejected):
    """Our own chain contradicts the report (no violation, wrong action, other observations):
    the reporter is wrong, not merely ahead of us. What node.attribution blames."""


class OracleView(Protocol):
    async def nonce(self, protocol_id: bytes) -> int: ...

    async def block_timestamp(self, block: int) -> int: ...

    async def head(self) -> int: ...


class ReportVerifier:
    def __init__(self, *, chain_id: int, oracle_address: bytes, key_epoch: int, view: ChainView,
                 oracle: OracleView, watched: Callable[[], dict[bytes, Watched]],
                 head_wait_seconds: float = 15.0, simulator=None) -> None:
        self.simulator = simulator  # node.chain.simulate.Simulator: re-simulates pending evidence
        self.chain_id = chain_id
        self.oracle_address = oracle_address
        self.key_epoch = key_epoch
        self.view = view
        self.oracle = oracle
        self.watched = watched
        self.head_wait_seconds = head_wait_seconds
        self._head = 0  # the newest head our node has: what the evidence must have reached
        self._registry_head = 0  # the head the watch loop read the registry at (may lag)
        self._head_changed = trio.Condition()

    @property
    def head(self) -> int:
        return self._head

    async def on_head(self, number: int) -> None:
        """The watch loop's head: the registry (`watched`) has been read at `number`."""
        if number > self._registry_head:
            self._registry_head = number
            self._head = max(self._head, number)
            async with self._head_changed:  # wakes a report waiting for the registry too
                self._head_changed.notify_all()

    async def on_tip(self, number: int) -> None:
        """The newest head the subscription delivered, before the watch loop judged it: our
        node has that block, so evidence up to it can be checked. A watch loop that lags (60
        blocks under load, issue 24) must not hold back the check of a peer's report."""
        if number > self._head:
            self._head = number
            async with self._head_changed:
                self._head_changed.notify_all()

    async def _wait_for_head(self, block: int, *, registry: bool = False) -> None:
        def current() -> int:
            return self._registry_head if registry else self._head

        with trio.move_on_after(self.head_wait_seconds):
            async with self._head_changed:
                while current() < block:
                    await self._head_changed.wait()
        if current() < block:
            raise ReportNotYet(f"our chain view did not reach block {block} "
                               f"within {self.head_wait_seconds}s (head {current()})", block)

    @staticmethod
    def _view_block(ev) -> int:
        """The block our view must have reached: a pending transaction's base block suffices."""
        return (base_block(ev.block_to) if ev.pending is not None or is_prepared(ev)
                else ev.block_to)

    async def verify(self, report: messages.Report) -> None:
        """Recompute every field of a peer's report from this node's own view, or raise
        ReportRejected."""
        if report.chain_id != self.chain_id or report.oracle != self.oracle_address:
            raise ReportRejected("report is for another chain or oracle")
        if report.key_epoch != self.key_epoch:
            raise ReportRejected(f"key epoch {report.key_epoch}, ours is {self.key_epoch}")
        ev = report.evidence
        if ev.protocol_id != report.protocol_id or report.observed_block != ev.block_to:
            raise ReportRejected("evidence does not belong to this report")
        watched = self.watched().get(report.protocol_id)
        if watched is None and self._registry_head < self._view_block(ev):
            # Until this node has read its first heads its registry is empty: a report that
            # arrived during start-up (a peer re-publishing after a restart) was refused for good
            # as "not registered" (issue 17). Wait for our registry to reach the evidence, then
            # look.
            await self._wait_for_head(self._view_block(ev), registry=True)
            watched = self.watched().get(report.protocol_id)
        if watched is None:
            raise ReportRejected("protocol is not registered with the oracle")
        if watched.contained:
            raise ReportRejected("protocol is already contained")
        if ev.block_from <= watched.release_block:
            raise ReportRejected(f"evidence starts at block {ev.block_from}, not after the "
                                 f"protocol's last release (block {watched.release_block})")
        kind = EvidenceKind(ev.kind)
        expected = choose_action(ev, usable_actions(watched))
        if expected is None or int(expected) != report.action:
            # The class mapping: volatility engages only an allowed circuit breaker, exploit the
            # strongest allowed action (protocol.detection.CLASS_ACTIONS).
            prescribed = "no containment" if expected is None else expected.name.lower()
            raise ReportContradicted(
                f"action {report.action} does not match the class mapping: {kind.name} is "
                f"{evidence_shape(ev).name.lower()} evidence, which engages {prescribed} under "
                f"this registration")
        verdict = check_evidence(ev, watched.params)
        if not verdict.violated:
            raise ReportContradicted(f"evidence does not show a violation: {verdict.reason}")
        await self._wait_for_head(self._view_block(ev))
        if ev.pending is not None or is_prepared(ev):
            lag = self._head - self._view_block(ev)
            if base_too_old(ev.block_to, self._head):
                raise ReportRejected(
                    f"base block {self._view_block(ev)} is {lag} blocks behind our head "
                    f"{self._head}: a pending transaction or a probe is judged on the chain as "
                    f"it is now (at most {MAX_BASE_LAG_BLOCKS} blocks behind)")
        nonce = watched.nonce
        if report.nonce != nonce:
            raise ReportRejected(f"nonce {report.nonce}, the oracle expects {nonce}")
        timestamp = simulated_time(ev)
        if timestamp is None:
            timestamp = await self.oracle.block_timestamp(ev.block_to)
        if report.deadline != report_deadline(timestamp):
            raise ReportRejected("deadline is not the protocol's validity after the evidence block")
        try:
            if is_prepared(ev):  # re-run the probe (node.prepared_check)
                view = await prepared_view(ev, watched, self.simulator)
            else:
                view = (self.view if ev.pending is None
                        else await pending_view(ev, watched, self.view, self.simulator))
            await detector_for(ev.kind).reobserve(view, ev, watched.params)
        except NotObserved as exc:
            if ev.pending is None and not is_prepared(ev):  # our chain contradicts the reporter
                raise ReportContradicted(str(exc)) from exc
            raise ReportRejected(str(exc)) from exc
        except ChainError as exc:  # a read failed: try again on a later head
            raise ReportNotYet(str(exc), self._head + 1) from exc
        except (PendingNotConfirmed, PreparedNotConfirmed) as exc:
            raise ReportRejected(str(exc)) from exc
