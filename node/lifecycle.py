"""The incident lifecycle: what keeps an open incident moving and what ends it.

Modelled on the cleanup loop of Wormhole's guardian processor. Once per tick:

1. Expire: an open incident whose every report is past its deadline (by the chain's clock, the
   timestamp of our latest head) can no longer be authorized; it is marked expired in the store.
2. Prune: for incidents no longer open (contained by anyone, or expired), the pipeline and the
   submitter drop what they keep in memory about them, so per-incident state stays bounded by the
   open incidents.
3. Re-gossip: our own share of an open incident that has not combined yet is published again,
   preceded by the report it signs (a guardian that restarted or was cut off when the report went
   round holds shares for a digest it cannot sign, or sign better, without it), with exponential
   backoff (first after REGOSSIP_FIRST_SECONDS, doubling up to
   REGOSSIP_MAX_SECONDS), until it combines or the incident closes. A share lost in gossip
   otherwise only went out again after a restart.

   A Share's bytes are deterministic, so the re-sent copy has the same message id; node/p2p lets
   our own re-publish through the library's seen cache, and peers that already have the share
   drop the copy as a duplicate before validation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from node.pipeline import IncidentPipeline
from node.store import Store
from node.submitter import Submitter
from protocol import messages

log = logging.getLogger("guardian.lifecycle")

TICK_SECONDS = 1.0
REGOSSIP_FIRST_SECONDS = 30.0
REGOSSIP_MAX_SECONDS = 240.0


@dataclass
class _Backoff:
    due: float
    interval: float


class IncidentLifecycle:
    def __init__(self, *, store: Store, pipeline: IncidentPipeline, submitter: Submitter,
                 publish: Callable[[bytes], Awaitable[None]],
                 chain_time: Callable[[], int | None], tick: float = TICK_SECONDS,
                 first: float = REGOSSIP_FIRST_SECONDS, cap: float = REGOSSIP_MAX_SECONDS) -> None:
        self.store = store
        self.pipeline = pipeline
        self.submitter = submitter
        self.publish = publish
        self.chain_time = chain_time
        self.tick = tick
        self.first = first
        self.cap = cap
        self._backoff: dict[bytes, _Backoff] = {}  # own share digest -> next re-gossip

    async def run(self) -> None:
        while True:
            await trio.sleep(self.tick)  # a period, not synchronisation
            await self.step()

    async def step(self) -> None:
        self.expire()
        self.prune()
        await self.regossip(trio.current_time())

    def expire(self) -> None:
        now = self.chain_time()
        if now is None:
            return
        for incident in self.store.open_incidents():
            reports = self.store.reports_for(incident)
            if reports and all(messages.decode(r.encoded).deadline < now for r in reports):
                log.info("incident 0x%s expired unauthorized (every report past its deadline)",
                         incident.hex()[:12])
                self.store.mark_expired(incident)

    def prune(self) -> None:
        open_now = set(self.store.open_incidents())
        for incident in self.pipeline.incidents_in_memory() - open_now:
            self.pipeline.forget(incident)
            for stored in self.store.reports_for(incident):
                self.submitter.forget(stored.digest)
                self._backoff.pop(stored.digest, None)

    async def regossip(self, now: float) -> None:
        live = set()
        for digest, _incident, encoded in self.store.open_own_shares():
            live.add(digest)
            if self.pipeline.is_combined(digest):
                continue
            backoff = self._backoff.setdefault(digest, _Backoff(now + self.first, self.first))
            if now < backoff.due:
                continue
            try:
                stored = self.store.report(digest)
                if stored is not None:  # a peer that missed the report cannot sign without it
                    await self.publish(stored.encoded)
                await self.publish(encoded)
            except Exception as exc:  # noqa: BLE001 - no peers right now: the next attempt comes
                log.debug("re-gossip of share 0x%s failed: %s", digest.hex()[:12], exc)
            backoff.interval = min(backoff.interval * 2, self.cap)
            backoff.due = now + backoff.interval
        for digest in set(self._backoff) - live:
            del self._backoff[digest]
