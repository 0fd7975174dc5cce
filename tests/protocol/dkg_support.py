"""Helpers for the DKG tests: a ceremony of n participants with reproducible keys, and an
in-memory broadcast in which a test can drop or replace any one message on its way."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from protocol.bls import get_backend
from protocol.dkg import DkgResult, DkgSession, Phase
from protocol.dkg_ceremony import Ceremony, Participant
from protocol.dkg_errors import DkgError
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
        silent: Sequence[int] = ()) -> list[DkgResult]:
    for phase in Phase:
        exchange(sessions, phase, route, silent)
    return [s.finish() for p, s in enumerate(sessions) if p not in silent]


def resign(data: bytes, keys: ParticipantKeys, **changes) -> bytes:
    """A message re-made with some fields changed and signed again by `keys` (a participant
    that misbehaves with its own valid key)."""
    from dataclasses import replace

    return encode(sign(replace(decode(data), **changes), keys))


def sign_with(shares: dict[int, int], digest: bytes, backend=B) -> bytes:
    from protocol import threshold

    partials = {i: threshold.partial_sign(s, digest, backend) for i, s in shares.items()}
    return threshold.combine(partials, backend)
