"""A DKG session's saved state, so that a participant that crashes can rejoin the ceremony:
the ceremony file, the dealing seed (SECRET: it re-derives the polynomial and the ephemeral
keys, so the restarted dealer broadcasts byte-identical messages), the old share of a
resharing dealer (SECRET), every message held, the messages already sent and how many of the
held messages its result was fixed on (the AGREE phase: a participant that comes back confirms
the same transcript, never a second one). The participant's
own ceremony keys are not included (they live in their own file). Write it with mode 0600.
"""

from __future__ import annotations

import msgpack

from protocol.bls import Backend
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgError, StateError
from protocol.dkg_keys import ParticipantKeys

STATE_VERSION = 2
_KEYS = ("v", "kind", "ceremony", "signing_key", "seed", "old_share", "messages", "response",
         "justifications", "fixed", "confirmation")


def dump_state(session) -> bytes:
    old = session._old_share
    return msgpack.packb({
        "v": STATE_VERSION, "kind": "guardian-dkg-state", "ceremony": session.ceremony.to_json(),
        "signing_key": session.keys.signing_key, "seed": session._seed,
        "old_share": b"" if old is None else old.to_bytes(32, "big"),
        "messages": list(session.log.arrivals), "response": session._response or b"",
        "justifications": list(session._justifications),
        "fixed": -1 if session._fixed is None else session._fixed,
        "confirmation": session._confirmation or b""}, use_bin_type=True)


def load_state(cls, data: bytes, my_keys: ParticipantKeys, backend: Backend):
    try:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # noqa: BLE001 - msgpack's error set is not closed
        raise StateError(f"not a DKG session state: {exc}") from exc
    if not isinstance(raw, dict) or tuple(raw) != _KEYS or raw["v"] != STATE_VERSION or (
            raw["kind"] != "guardian-dkg-state"):
        raise StateError(f"not a version-{STATE_VERSION} DKG session state")
    if raw["signing_key"] != my_keys.signing_key:
        raise StateError("this state belongs to other ceremony keys")
    try:
        ceremony = Ceremony.from_json(raw["ceremony"])
        old = raw["old_share"]
        session = cls(ceremony, my_keys, backend, seed=raw["seed"],
                      old_share=int.from_bytes(old, "big") if old else None)
        for message in raw["messages"]:
            session.log.add(message)
        session._response = raw["response"] or None
        session._justifications = list(raw["justifications"])
        fixed = raw["fixed"]
        if isinstance(fixed, bool) or not isinstance(fixed, int) or not (
                -1 <= fixed <= len(session.log.arrivals)):
            raise StateError("the saved count of judged messages is out of range")
        session._fixed = None if fixed < 0 else fixed
        session._confirmation = raw["confirmation"] or None
        if session._confirmation is not None and session._fixed is None:
            raise StateError("a confirmation was saved without the messages it confirms")
        for own in ([session._response] if session._response else []) + session._justifications + (
                [session._confirmation] if session._confirmation else []):
            if own not in session.log._seen:
                raise StateError("a sent message is missing from the saved messages")
    except StateError:
        raise
    except (DkgError, TypeError, ValueError) as exc:
        raise StateError(f"DKG session state does not replay: {exc}") from exc
    return session


__all__ = ["dump_state", "load_state"]
