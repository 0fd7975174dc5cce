"""Helpers for the DKG tests: a ceremony of n participants with reproducible keys, and an
in-memory broadcast in which a test can drop or replace any one message on its way."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from protocol.bls import get_backend
from protocol.dkg import DkgResult, DkgSession, Phase
from protocol.dkg_ceremony import Ceremony, Participant
from protocol.dkg_errors import DkgError, NoAgreement
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_wire import decode, encode, sign

B = get_backend()
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

# route(phase, sender position, recipient position, data) -> data to deliver, or None to drop
Route = Callable[[Phase, int, int, bytes], bytes | None]


def peer_id(i: int) -> str:
    return "12D3KooW" + "".join(_ALPHABET[(i * 7 + k) % 58] for k in range(44))


def make_keys(count: int, seed: int = 1) -> list[ParticipantKeys]:
    rng = random.Random(seed)
    return [ParticipantKeys.generate(rng) for _ in range(count)]


def participants(keys: Sequence[ParticipantKeys], first_peer: int = 1) -> tuple[Participant, ...]:
    return tuple(Participant(i, peer_id(first_peer + i - 1), k.encryption_key, k.signing_key)
                 for i, k in enumerate(keys, 1))


def fresh(n: int, t: int, seed: int = 1, name: str = "test ceremony"):
    keys = make_keys(n, seed)
    ceremony = Ceremony(name, 1, t, participants(keys))
    rng = random.Random(seed + 1000)
    return ceremony, keys, [DkgSession(ceremony, k, B, rng=rng) for k in keys]


def exchange(sessions: Sequence[DkgSession], phase: Phase, route: Route | None = None,
             silent: Sequence[int] = ()) -> list[bytes]:
    """Every session (position p, not in `silent`) broadcasts its messages for `phase` to every
    other session, through `route`. Returns what was sent (before routing)."""
    sent = []
    for p, sender in enumerate(sessions):
        if p in silent:
            continue
        for data in sender.outgoing(phase):
            sent.append(data)
            for q, receiver in enumerate(sessions):
                if q == p:
                    continue
                delivered = route(phase, p, q, data) if route else data
                if delivered is not None:
                    try:
                        receiver.receive(delivered)
                    except DkgError:
                        pass
    return sent


def run(sessions: Sequence[DkgSession], route: Route | None = None,
        silent: Sequence[int] = (), cheats: Sequence[int] = ()) -> list[DkgResult]:
    """Every phase, then every result. A cheat (a position whose messages `route` alters, so
    that its own view is not what the others saw) gets its NoAgreement error in its place."""
    for phase in Phase:
        exchange(sessions, phase, route, silent)
    out = []
    for p, s in enumerate(sessions):
        if p in silent:
            continue
        try:
            out.append(s.finish())
        except NoAgreement as exc:
            if p not in cheats:
                raise
            out.append(exc)
    return out


def resign(data: bytes, keys: ParticipantKeys, **changes) -> bytes:
    """A message re-made with some fields changed and signed again by `keys` (a participant
    that misbehaves with its own valid key)."""
    from dataclasses import replace

    return encode(sign(replace(decode(data), **changes), keys))


def sign_with(shares: dict[int, int], digest: bytes, backend=B) -> bytes:
    from protocol import threshold

    partials = {i: threshold.partial_sign(s, digest, backend) for i, s in shares.items()}
    return threshold.combine(partials, backend)


# hold(sender position, receiver position, data) -> True to keep the message back for now
Hold = Callable[[int, int, bytes], bool]


def drive(sessions: Sequence[DkgSession], hold: Hold, *, release: bool = True,
          started: Sequence[int] | None = None) -> list[int]:
    """Run the phases in-process the way the runner does, with no clock: a session moves to
    its next phase as soon as `ready` says its phase is complete, and sends every message of
    the phases it entered that it has not sent yet (the runner's rebroadcast). Messages for
    which `hold` is true stay back. When nothing else can happen, the held messages arrive
    (`release`) or, if none are held or `release` is false, every phase times out at once.
    `started`: positions that already sent their deal (the others start in DEAL).
    Returns the phase reached per session (len(Phase) = finished)."""
    phases = list(Phase)
    at = [0] * len(sessions)
    sent: list[set[bytes]] = [set() for _ in sessions]
    held: list[tuple[int, int, bytes]] = []
    queue: list[tuple[int, int, bytes]] = []

    def send(p: int) -> None:
        for phase in phases[:at[p] + 1]:
            for data in sessions[p].outgoing(phase):
                if data not in sent[p]:
                    sent[p].add(data)
                    queue.extend((p, q, data) for q in range(len(sessions)) if q != p)

    for p in (range(len(sessions)) if started is None else started):
        send(p)
    while any(a < len(phases) for a in at):
        progressed = False
        while queue:
            p, q, data = queue.pop(0)
            if hold(p, q, data):
                held.append((p, q, data))
                continue
            try:
                sessions[q].receive(data)
            except DkgError:
                pass
            progressed = True
        for p, s in enumerate(sessions):
            if at[p] < len(phases) and s.ready(phases[at[p]]):
                at[p] += 1
                progressed = True
            if at[p] < len(phases):
                send(p)
        if progressed or queue:
            continue
        if held and release:
            for _p, q, data in held:
                try:
                    sessions[q].receive(data)
                except DkgError:
                    pass
            held.clear()
            continue
        for p in range(len(sessions)):   # every phase times out
            if at[p] < len(phases):
                at[p] += 1
                if at[p] < len(phases):
                    send(p)
    return at
