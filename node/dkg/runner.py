"""The ceremony: one participant's run, from its directory and the ceremony file to the
artifacts (`node.dkg.artifacts`).

    transport (node.p2p.ceremony) ──> rules.judge ──> inbound ──> session.receive ──> save state
    phase loop: enter phase -> save state -> publish session.outgoing(phase) -> wait until the
                session is ready or the deadline passes -> next phase ... AGREE ->
                session.finish() (only with enough matching confirmations) -> artifacts ->
                destroy what re-derives the share (`node.dkg.retire`)
    rebroadcast: each message of every phase entered so far, on a backoff schedule
                 (`node.dkg.rebroadcast`: after 2 s, then doubling up to 32 s)

Every participant re-publishes its own messages until it is done, and relays everyone's for
`linger_seconds` after, so a participant that starts late or comes back from a crash still gets
them; messages are signed, so any copy is as good as the first. The state is saved before a
phase's messages go out, so a crash never makes a participant send two different deals (nor
confirm two different transcripts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trio

from node.dkg import CeremonyRunError
from node.dkg.artifacts import Written, write_artifacts
from node.dkg.participant import Participant, open_participant
from node.dkg.phases import FINISH, ORDER, Timeouts
from node.dkg.progress import Heard, progress_line
from node.dkg.rebroadcast import LONGEST_SECONDS, Schedule, copies_within
from node.dkg.retire import retire
from node.dkg.rules import judge
from node.dkg.state import save_state
from protocol.dkg import DkgResult
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgError, NotEnoughQualified
from protocol.dkg_wire import MAX_DKG_MESSAGE_BYTES, decode
from protocol.keystore import DEFAULT_KDF_N

log = logging.getLogger("guardian.dkg")


@dataclass
class RunOptions:
    ceremony: Ceremony
    directory: Path
    passphrase: str | None
    listen: str = "/ip4/127.0.0.1/tcp/0"
    bootstrap: tuple[str, ...] = ()
    timeouts: Timeouts = field(default_factory=Timeouts)
    rebroadcast_seconds: float = 2.0          # the first re-send; then doubling ...
    rebroadcast_longest_seconds: float = LONGEST_SECONDS  # ... up to this
    linger_seconds: float = 3.0
    progress_seconds: float = 5.0
    kdf_n: int = DEFAULT_KDF_N
    old_share: int | None = None
    old_keystore: Path | None = None  # resharing: destroyed once the new share is agreed
    out_dir: Path | None = None  # where the artifacts go (default: directory)
    say: Callable[[str], None] = print
    # tests: called with the phase name after the state is saved, before its messages go out
    on_phase: Callable[[str], None] = lambda _: None


@dataclass
class Outcome:
    result: DkgResult
    written: Written
    seconds: float          # from this run's start to the artifacts written
    resumed: bool
    p2p: dict = field(default_factory=dict)  # the transport's peer report (offences, refusals)


class _Run:
    def __init__(self, opts: RunOptions, me: Participant, backend) -> None:
        self.opts, self.me, self.backend = opts, me, backend
        self.heard = Heard()
        self.changed = trio.Event()
        self.dirty = False
        self.service = None
        self.held: dict[bytes, None] = {}  # every message kept, in order (relayed while lingering)
        self.lingering = False
        self.own = Schedule(opts.rebroadcast_seconds, opts.rebroadcast_longest_seconds)
        self.relay = Schedule(opts.rebroadcast_seconds, opts.rebroadcast_longest_seconds)
        self.dealers = [p.index for p in me.ceremony.dealers]
        self.recipients = [p.index for p in me.ceremony.recipients]

    # -- state and messages ----------------------------------------------------------------------
    def save(self) -> None:
        self.me.state.session = self.me.session.to_state()
        save_state(self.me.state_path, self.me.state)
        self.dirty = False

    def entered(self) -> list:
        clock = self.me.state.clock
        upto = len(ORDER) if clock.finished else ORDER.index(clock.phase) + 1
        return list(ORDER[:upto])

    async def publish_entered(self) -> None:
        """Send what is due: new messages of the phases entered at once, the rest on their
        backoff schedule; while lingering, everyone's messages too."""
        now = time.monotonic()
        for phase in self.entered():
            for data in self.me.session.outgoing(phase):
                self.own.add(data, now)
        if self.lingering:  # done: serve everyone's messages to whoever is still missing some
            for data in self.held:
                self.relay.add(data, now)
        for data in self.own.due(now) + self.relay.due(now):
            await self._publish(data)

    async def _publish(self, data: bytes) -> None:
        try:
            await self.service.publish(data)
        except Exception as exc:  # noqa: BLE001 - no peers yet, a closing host ...
            log.debug("dkg: publish failed (%s); the rebroadcast retries", exc)

    async def receive_loop(self) -> None:
        async for _origin, data in self.service.inbound:
            try:
                kept = self.me.session.receive(data)
            except DkgError as exc:
                self.heard.invalid += 1
                log.warning("dkg: refused a signed ceremony message: %s", exc)
                continue
            msg = decode(data)
            self.heard.add(msg.TYPE, msg.sender)  # also a copy held already (after a resume)
            if kept:
                self.held[data] = None
                self.dirty = True
                self.changed.set()

    async def rebroadcast_loop(self) -> None:
        from node.p2p.ceremony import topic_peer_count

        most_peers = 0
        while True:
            await trio.sleep(min(0.25, self.opts.rebroadcast_seconds / 2))
            peers = topic_peer_count(self.service)
            if peers > most_peers:  # someone (re)joined the topic: send it everything now
                most_peers = peers
                self.own.restart(time.monotonic())
                self.relay.restart(time.monotonic())
            await self.publish_entered()
            if self.dirty and not self.lingering:
                self.save()

    async def progress_loop(self) -> None:
        while True:
            self.show()
            await trio.sleep(self.opts.progress_seconds)

    def show(self) -> None:
        clock = self.me.state.clock
        self.opts.say(progress_line(clock.name(), clock.left(time.time()), self.heard,
                                    self.dealers, self.recipients, self.service.peer_count()))

    # -- the phases ------------------------------------------------------------------------------
    async def enter(self, phase_name: str) -> None:
        for phase in self.entered():
            for data in self.me.session.outgoing(phase):  # the first call fixes them
                msg = decode(data)
                if msg.sender in (self.me.session.dealer_index, self.me.session.recipient_index):
                    self.heard.add(msg.TYPE, msg.sender)
        self.save()
        self.opts.on_phase(phase_name)
        await trio.lowlevel.checkpoint()
        await self.publish_entered()

    async def phases(self) -> None:
        clock = self.me.state.clock
        if not clock.finished:
            await self.enter(clock.name())
        while not clock.finished:
            why = clock.due(self.me.session.ready(clock.phase), time.time())
            if why is None:
                self.changed = trio.Event()
                with trio.move_on_after(min(clock.left(time.time()), 1.0) + 0.01):
                    await self.changed.wait()
                continue
            ended = clock.name()
            clock.advance(time.time())
            self.opts.say(f"DKG phase {ended} ended ({why}); now {clock.name()}")
            if clock.finished:
                self.save()
            else:
                await self.enter(clock.name())


async def run_ceremony(opts: RunOptions, *, backend=None,
                       task_status=trio.TASK_STATUS_IGNORED) -> Outcome:
    """Run one participant's ceremony to its end. Raises CeremonyRunError (no keystore written)
    when it cannot take part or fewer dealers qualified than the ceremony needs."""
    from node.p2p.ceremony import ceremony_config, ceremony_service
    from protocol.bls import get_backend

    backend = backend or get_backend()
    started = time.monotonic()
    me = open_participant(opts.ceremony, opts.directory, opts.timeouts, backend=backend,
                          old_share=opts.old_share)
    ceremony = opts.ceremony
    if me.session.recipient_index is not None and opts.passphrase is None:
        raise CeremonyRunError("a passphrase is needed to encrypt this participant's share")
    run = _Run(opts, me, backend)
    cid = ceremony.id
    config = ceremony_config(cid, members=me.members(), listen=opts.listen,
                             bootstrap=opts.bootstrap, max_message_bytes=MAX_DKG_MESSAGE_BYTES)
    run.service = ceremony_service(config, me.identity, lambda _p, d: judge(ceremony, cid, d),
                                   MAX_DKG_MESSAGE_BYTES,
                                   duplicate_limit=honest_copies(opts, DUPLICATE_WINDOW),
                                   duplicate_window=DUPLICATE_WINDOW)
    opts.say(f"DKG ceremony {ceremony.name} (0x{cid.hex()[:16]}...): {ceremony.n} participants, "
             f"threshold {ceremony.threshold}; I am "
             + ", ".join(f"{role} {i}" for role, i in (("dealer", me.session.dealer_index),
                                                       ("recipient", me.session.recipient_index))
                         if i is not None)
             + (f"; resumed from saved state in phase {me.state.clock.name()}" if me.resumed
                else ""))
    async with trio.open_nursery() as nursery:
        addrs = await nursery.start(run.service.run)
        opts.say(f"DKG peer {me.peer_id} listening on {', '.join(addrs)}")
        task_status.started(addrs)
        nursery.start_soon(run.receive_loop)
        nursery.start_soon(run.rebroadcast_loop)
        nursery.start_soon(run.progress_loop)
        await run.phases()
        run.show()
        failure, result = None, None
        try:
            result = me.session.finish()
        except DkgError as exc:
            failure = exc
        if failure is None:
            seconds = time.monotonic() - started
            confirmed = [decode(c).dealer for c in result.confirmations]
            written = write_artifacts(opts.out_dir or opts.directory, result, opts.passphrase,
                                      backend=backend, kdf_n=opts.kdf_n,
                                      extra={"seconds": round(seconds, 3),
                                             "resumes": me.state.resumes,
                                             "confirmed_by": confirmed})
            destroyed = retire(opts.directory, cid, old_keystore=opts.old_keystore,
                               kept=tuple(p for p in (written.keystore,) if p is not None))
            opts.say(f"DKG done in {seconds:.1f} s: group key "
                     f"0x{result.group_public_key.hex()[:24]}..., guardian set "
                     f"{written.summary['guardian_set_hash']}, transcript "
                     f"{written.summary['transcript_hash']}, confirmed by dealers {confirmed}")
            opts.say("destroyed what re-derives the share: "
                     + (", ".join(str(p) for p in destroyed) or "nothing left to destroy"))
        run.lingering = True  # keep serving the messages to peers still finishing
        await run.publish_entered()
        await trio.sleep(opts.linger_seconds)
        report = run.service.peer_report()
        nursery.cancel_scope.cancel()
    if failure is not None:
        extra = ""
        if isinstance(failure, NotEnoughQualified):
            extra = (f" (qualified dealers: {list(failure.qualified) or 'none'}; disqualified: "
                     f"{failure.disqualified or 'none'})")
        raise CeremonyRunError(f"the ceremony failed, no keystore written: {failure}{extra}")
    return Outcome(result, written, seconds, me.resumed, report)


DUPLICATE_WINDOW = 60.0


def honest_copies(opts: RunOptions, window: float) -> int:
    """The most copies of one message an honest participant hands a peer within `window`
    seconds: its own schedule, once more after a restart, its relay schedule while lingering,
    one more for each peer that connects (at most every other member), and the one forward
    GossipSub makes. More is a flood and is charged."""
    members = len({p.peer_id for p in (*opts.ceremony.participants, *opts.ceremony.dealers)})
    return 3 * copies_within(window, opts.rebroadcast_seconds,
                             opts.rebroadcast_longest_seconds) + members


__all__ = ["FINISH", "Outcome", "RunOptions", "honest_copies", "run_ceremony"]
