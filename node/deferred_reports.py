"""Peer reports this node could not check yet: its chain view had not reached the evidence block
in time, or a read failed on the way (`node.verification.ReportNotYet`). Refusing them for good
split a loaded network: the guardians that lagged never signed the report the others converged
on, no digest reached t shares, and the incident waited for its reports to expire. A deferred
report is checked again once this node's head has reached its evidence block (and again on later
heads after a failed read), until it is checked or it falls out of the bounded set.

    pipeline: ReportNotYet ──> defer(report, block)
    watch loop: head N ──> due(N) ──> channel ──> recheck task ──> pipeline.on_report
"""

from __future__ import annotations

from collections import OrderedDict

import trio

from protocol import messages

MAX_DEFERRED = 64  # reports waiting at most (the oldest is dropped): incidents are rare
MAX_RETRIES = 8  # heads on which one report is tried again after its block is reached


class DeferredReports:
    def __init__(self, limit: int = MAX_DEFERRED, retries: int = MAX_RETRIES) -> None:
        self.limit = limit
        self.retries = retries
        self._waiting: OrderedDict[bytes, tuple[messages.Report, int, int]] = OrderedDict()
        self._inflight: set[bytes] = set()  # handed to the recheck task, not done yet
        self._send, self._recv = trio.open_memory_channel[messages.Report](limit)
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def defer(self, report: messages.Report, block: int) -> None:
        """Keep `report` until this node's head reaches `block` (counting the tries)."""
        digest = report.digest()
        _, _, tries = self._waiting.pop(digest, (report, block, 0))
        if tries >= self.retries:
            self.dropped += 1
            return
        self._waiting[digest] = (report, block, tries + 1)
        while len(self._waiting) > self.limit:
            self._waiting.popitem(last=False)
            self.dropped += 1

    def on_head(self, head: int) -> None:
        """Hand the reports whose block this head has reached to the recheck task."""
        for digest, (report, block, _) in list(self._waiting.items()):
            if block > head or digest in self._inflight:
                continue
            try:
                self._send.send_nowait(report)
            except trio.WouldBlock:
                return  # the recheck task is busy: the rest wait for the next head
            # stays in `_waiting` (with its tries) until `done` or a later `defer`
            self._inflight.add(digest)

    def waiting(self, report: messages.Report) -> bool:
        return report.digest() in self._waiting

    def done(self, report: messages.Report) -> None:
        self._waiting.pop(report.digest(), None)

    async def run(self, recheck) -> None:
        """Re-check due reports one at a time with `recheck(report)` (the pipeline's on_report)."""
        async for report in self._recv:
            digest = report.digest()
            try:
                if digest in self._waiting:
                    await recheck(report)
            finally:
                self._inflight.discard(digest)
