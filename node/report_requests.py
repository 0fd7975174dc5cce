"""Report requests: a guardian that holds peers' shares for a digest whose report never reached it
asks for the report, and a member that holds it publishes it again.

    peer Share for digest D ──> no report D here ──> ASK_AFTER_SECONDS later, still none
        ──> ReportRequest(D) on the topic (again after 2x, 4x: ASK_TRIES in all)
    peer ReportRequest(D) ──> we hold report D, and we are its author (at once) or one of
        BACKUP_RESPONDERS members ranked for D (a little later) ──> the report's bytes, unchanged

Without the report a share cannot be checked or joined: only the report's proposer gossips it
(once, after its stagger), and the lifecycle publishes it again only 30 s later. A report lost on
the way to some guardians left the incident split between digests until then (issue 24).

Why the gossip topic and not a request/response stream: requests are rare (incidents are), the
topic already gives member-only delivery, guardian signatures, typed validation
(`protocol.gossip_rules`: current epoch, clock skew, at most one request per REQUEST_INTERVAL_MS
per guardian, then the signature) and per-peer blame, while a new libp2p stream protocol would
need its own guards against py-libp2p's stream-handler defects. The answer is the report's own
signed bytes: its message id is the one peers already know, so a guardian that has it drops the
copy before validation, and one that lacked it validates and re-verifies it like any report.

Bounds: at most MAX_ASKING digests asked for at once and ASK_TRIES requests per digest; an answer
per digest at most every ANSWER_INTERVAL_SECONDS, by at most 1 + BACKUP_RESPONDERS members; a
request for a digest we do not hold (unknown, another chain's, another epoch's: the digest binds
chain, oracle and epoch) is dropped without an answer.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import trio

from node.records import GuardianKey
from node.store import Store
from protocol import messages
from protocol.gossip_rules import REQUEST_INTERVAL_MS
from protocol.guardian_set import GuardianSet
from protocol.submission import submission_order

log = logging.getLogger("guardian.pipeline")

ASK_AFTER_SECONDS = 1.5  # the proposal stagger (at most 1 s) and delivery: it usually comes
ASK_TRIES = 3  # requests per digest (after 1.5, 3 and 6 s)
MAX_ASKING = 16  # digests asked for at once: incidents are rare, the rest wait for re-gossip
ANSWER_INTERVAL_SECONDS = 2.0  # per digest: a burst of requests gets one answer from us
BACKUP_RESPONDERS = 2  # members besides the author that answer (its author may be offline)
BACKUP_STEP_SECONDS = 0.3
MAX_ANSWERED = 256


class ReportRequests:
    def __init__(self, *, key: GuardianKey, guardian_set: GuardianSet, backend, store: Store,
                 publish: Callable[[bytes], Awaitable[None]],
                 have_report: Callable[[bytes], bool]) -> None:
        self.key = key
        self.gset = guardian_set
        self.backend = backend
        self.store = store
        self.publish = publish
        self.have_report = have_report  # stored, or a peer's copy already under verification
        self._asking: OrderedDict[bytes, tuple[float, int]] = OrderedDict()  # digest -> due, tries
        self._answered: OrderedDict[bytes, float] = OrderedDict()  # digest -> when
        self._wake = trio.Event()
        self._next_send = -float("inf")  # trio time before which we send no request
        self._last_stamp = 0  # the timestamp (ms) of our last request
        self._nursery: trio.Nursery | None = None
        self.asked = 0  # requests sent
        self.answered = 0  # reports published in answer

    # asking --------------------------------------------------------------------------------------
    def on_share(self, share: messages.Share) -> None:
        """A peer's (validated) share: remember to ask for its report if it does not come."""
        digest = share.digest
        if (share.guardian == self.key.index or digest in self._asking
                or self.have_report(digest)):
            return
        if len(self._asking) >= MAX_ASKING:
            return  # bounded: the lifecycle's re-gossip covers the rest
        self._asking[digest] = (trio.current_time() + ASK_AFTER_SECONDS, 0)
        self._wake.set()

    async def _ask_due(self) -> float | None:
        """Send the requests that are due, one per REQUEST_INTERVAL_MS (peers ignore a guardian's
        requests closer together); the time of the next one, or None."""
        now = trio.current_time()
        for digest, (due, tries) in list(self._asking.items()):
            if self.have_report(digest) or tries >= ASK_TRIES:
                del self._asking[digest]
                continue
            if due > now or now < self._next_send:
                continue
            # wall-clock milliseconds, never closer than the interval to our previous request
            stamp = max(int(time.time() * 1000), self._last_stamp + REQUEST_INTERVAL_MS)
            self._last_stamp = stamp
            self._next_send = now + REQUEST_INTERVAL_MS / 1000
            request = messages.sign_message(messages.ReportRequest(
                digest=digest, timestamp=stamp, key_epoch=self.gset.epoch,
                guardian=self.key.index, signature=b""), self.key.secret, self.backend)
            self._asking[digest] = (now + ASK_AFTER_SECONDS * 2 ** (tries + 1), tries + 1)
            self.asked += 1
            log.info("asking for the report of digest 0x%s (shares for it, no report; try %d)",
                     digest.hex()[:12], tries + 1)
            try:
                await self.publish(messages.encode(request))
            except Exception as exc:  # noqa: BLE001 - no peers now: the next try comes
                log.debug("report request for 0x%s not sent: %s", digest.hex()[:12], exc)
        return min((max(due, self._next_send) for due, _ in self._asking.values()), default=None)

    # answering -----------------------------------------------------------------------------------
    def on_request(self, request: messages.ReportRequest) -> None:
        """A peer's (validated) request: answer if we hold the report and it is our turn."""
        if request.guardian == self.key.index or self._nursery is None:
            return
        stored = self.store.report(request.digest)
        if stored is None:
            return  # unknown here (or another chain's or epoch's): nothing to send
        now = trio.current_time()
        last = self._answered.get(request.digest)
        if last is not None and now - last < ANSWER_INTERVAL_SECONDS:
            return
        delay = self._turn(request.digest, messages.decode(stored.encoded, self.backend).guardian)
        if delay is None:
            return
        self._answered[request.digest] = now
        self._answered.move_to_end(request.digest)
        while len(self._answered) > MAX_ANSWERED:
            self._answered.popitem(last=False)
        self._nursery.start_soon(self._answer, stored.encoded, request, delay)

    def _turn(self, digest: bytes, author: int) -> float | None:
        """Seconds before we answer: the report's author at once, then BACKUP_RESPONDERS members
        in the digest's order (protocol.submission), in steps; None if not ours to answer."""
        if author == self.key.index:
            return 0.0
        others = [i for i in range(1, self.gset.n + 1) if i != author]
        rank = submission_order(digest, others).index(self.key.index)
        return BACKUP_STEP_SECONDS * (rank + 1) if rank < BACKUP_RESPONDERS else None

    async def _answer(self, encoded: bytes, request: messages.ReportRequest, delay: float) -> None:
        await trio.sleep(delay)  # the author first; backups only matter when it is offline
        self.answered += 1
        log.info("guardian %d asked for the report of digest 0x%s: publishing it again",
                 request.guardian, request.digest.hex()[:12])
        try:
            await self.publish(encoded)
        except Exception as exc:  # noqa: BLE001 - no peers now: the requester asks again
            log.debug("report 0x%s not re-published: %s", request.digest.hex()[:12], exc)

    # service -------------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            while True:
                self._wake = trio.Event()  # before the await: a share arriving meanwhile wakes us
                next_due = await self._ask_due()
                with trio.move_on_at(next_due if next_due is not None else float("inf")):
                    await self._wake.wait()
