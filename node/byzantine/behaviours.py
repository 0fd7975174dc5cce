"""The Byzantine behaviours (see node.byzantine): a wrapper of the guardian's outgoing gossip path
that rewrites, duplicates or drops what an honest node would send, plus the background task some
modes need. Test-only: `install` is reached only through node.byzantine.gate's checks."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import deque

import trio

from node.byzantine.false_reports import fabricate
from protocol import gossip_rules, messages, threshold
from protocol.wire import MessageError

log = logging.getLogger("guardian.byzantine")

FLOOD_COPIES = 20            # extra copies of each message sent
FLOOD_PER_SECOND = 150       # heartbeat copies per second, over a member's rate limit (100/s)
REPLAY_PERIOD_SECONDS = 1.0
FALSE_REPORT_EVERY_BLOCKS = 6
KEPT = 64                    # messages remembered for replay and flooding


class Misbehaviour:
    def __init__(self, mode: str, guardian) -> None:
        self.mode = mode
        self.g = guardian
        self.key = guardian.key
        self.backend = guardian.pipeline.backend
        self.inner = guardian.p2p.publish
        self.sent: deque[bytes] = deque(maxlen=KEPT)
        self._equivocated: set[bytes] = set()
        self.counts = {"sent": 0, "dropped": 0, "forged": 0}

    def install(self) -> None:
        """Interpose on the outgoing path: every service publishes through `p2p.publish`."""
        p2p = self.g.p2p
        p2p.publish = self.publish
        honest_validator = p2p.validator

        def validator(peer: str, data: bytes):
            """The library validates our own publishes too: let ours through unchecked."""
            if peer == p2p.peer_id:
                return gossip_rules.Verdict.ACCEPT, "own message (byzantine test mode)"
            return honest_validator(peer, data)

        p2p.validator = validator
        log.warning("BYZANTINE TEST MODE %r: guardian %d misbehaves on purpose", self.mode,
                    self.key.index)

    async def _send(self, data: bytes) -> None:
        self.counts["sent"] += 1
        await self.inner(data)

    def _sign(self, msg):
        return messages.sign_message(dataclasses.replace(msg, signature=b""), self.key.secret,
                                     self.backend)

    def _share_for(self, report: messages.Report) -> bytes:
        digest = report.digest()
        return messages.encode(self._sign(messages.Share(
            incident_id=report.incident_id, digest=digest,
            partial=threshold.partial_sign(self.key.secret, digest, backend=self.backend),
            guardian=self.key.index, signature=b"")))

    async def publish(self, data: bytes, *, flood: bool = False) -> None:
        """Misbehaving messages keep to the mesh (`flood` is the honest path's routing hint)."""
        try:
            msg = messages.decode(data, self.backend)
        except MessageError:
            await self._send(data)
            return
        if isinstance(msg, messages.Heartbeat):
            await self._send(data)
            if self.mode == "flood":
                self.sent.append(data)
            return
        if self.mode == "withhold":
            self.counts["dropped"] += 1
            return
        if self.mode == "invalid-partial" and isinstance(msg, messages.Share):
            wrong = hashlib.sha256(b"not-this-digest" + msg.digest).digest()
            data = messages.encode(self._sign(dataclasses.replace(
                msg, partial=threshold.partial_sign(self.key.secret, wrong,
                                                    backend=self.backend))))
            self.counts["forged"] += 1
        await self._send(data)
        self.sent.append(data)
        if self.mode == "flood":
            for _ in range(FLOOD_COPIES):
                await self._send(data)
        if self.mode == "equivocate" and isinstance(msg, messages.Share):
            await self._equivocate(msg)

    async def _equivocate(self, share: messages.Share) -> None:
        """Two different reports of ours for the incident (deadlines one second apart), and a
        valid share for each."""
        if share.incident_id in self._equivocated:
            return
        stored = self.g.store.report(share.digest)
        if stored is None:
            return
        self._equivocated.add(share.incident_id)
        first = self._sign(dataclasses.replace(messages.decode(stored.encoded),
                                               guardian=self.key.index))
        second = self._sign(dataclasses.replace(first, deadline=first.deadline - 1))
        for report in (first, second):
            await self._send(messages.encode(report))
        await self._send(self._share_for(second))
        self.counts["forged"] += 2

    async def run(self) -> None:
        """The mode's own task (replay, flood, false reports); returns at once for the others."""
        if self.mode == "replay":
            while True:
                await trio.sleep(REPLAY_PERIOD_SECONDS)
                for data in list(self.sent):
                    await self._send(data)
        elif self.mode == "flood":
            while True:
                await trio.sleep(1.0)
                if self.sent:
                    for _ in range(FLOOD_PER_SECOND):
                        await self._send(self.sent[-1])
        elif self.mode == "false-report":
            await self._false_reports()

    async def _false_reports(self) -> None:
        last = None
        while True:
            await trio.sleep(0.25)
            seen = self.g.watch.header
            if seen is None:
                continue
            # the latest multiple of N: colluders that skipped different heads agree on it
            block = seen.number - seen.number % FALSE_REPORT_EVERY_BLOCKS
            if block == last or block <= 1:
                continue
            last = block
            try:
                header = await self.g.pipeline.oracle.rpc.header(block)
            except Exception:  # noqa: BLE001 - test-only: try at the next multiple
                continue
            for watched in self.g.pipeline.watched().values():
                report = fabricate(watched, header, self.g.pipeline, self.key.index)
                if report is None:
                    continue
                report = self._sign(report)
                await self._send(messages.encode(report))
                await self._send(self._share_for(report))
                self.counts["forged"] += 1
                log.warning("BYZANTINE: sent a false report for protocol 0x%s at block %d",
                            watched.protocol_id.hex()[:12], header.number)
