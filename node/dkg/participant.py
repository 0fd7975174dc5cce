"""Who this process is in a ceremony, and its session: fresh, or resumed from the saved state.

Checks before anything goes on the network: the ceremony keys in DIR are listed in the ceremony
file (as a dealer, a recipient or both), the libp2p identity in DIR has the peer id the file
gives that entry, a recipient has a passphrase for its keystore, and a resharing dealer has its
old share (which the session checks against the previous set's public share).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from node.dkg import CeremonyRunError
from node.dkg.files import IDENTITY_FILE, KEYS_FILE, load_keys
from node.dkg.phases import PhaseClock, Timeouts
from node.dkg.state import SavedState, load_state, state_file
from protocol.dkg import DkgSession
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgError
from protocol.dkg_keys import ParticipantKeys


@dataclass
class Participant:
    ceremony: Ceremony
    keys: ParticipantKeys
    identity: bytes
    peer_id: str
    session: DkgSession
    state: SavedState
    resumed: bool

    @property
    def state_path(self) -> Path:
        return self.directory / state_file(self.ceremony.id)

    directory: Path = Path(".")

    def members(self) -> tuple[str, ...]:
        """Every peer id of the ceremony (dealers and recipients), the transport's members."""
        ids = [p.peer_id for p in self.ceremony.participants]
        ids += [p.peer_id for p in self.ceremony.dealers if p.peer_id not in ids]
        return tuple(ids)


def _roles(ceremony: Ceremony, keys: ParticipantKeys, peer_id: str) -> tuple[bool, bool]:
    dealer = next((p for p in ceremony.dealers if p.signing_key == keys.signing_key), None)
    recipient = next((p for p in ceremony.recipients if p.signing_key == keys.signing_key), None)
    if dealer is None and recipient is None:
        raise CeremonyRunError("this participant's DKG keys are not in the ceremony file (wrong "
                               "--dir, or the file was assembled without its entry)")
    for entry in (dealer, recipient):
        if entry is not None and entry.peer_id != peer_id:
            raise CeremonyRunError(f"the ceremony file lists peer id {entry.peer_id} for these "
                                   f"DKG keys, but {IDENTITY_FILE} in --dir is {peer_id}")
    return dealer is not None, recipient is not None


def open_participant(ceremony: Ceremony, directory: Path, timeouts: Timeouts, *, backend,
                     old_share: int | None = None, now: float | None = None) -> Participant:
    from node.p2p.identity import IdentityError, load_identity, peer_id_of

    directory = Path(directory)
    keys = load_keys(directory / KEYS_FILE)
    try:
        identity = load_identity(directory / IDENTITY_FILE)
    except IdentityError as exc:
        raise CeremonyRunError(str(exc)) from exc
    peer_id = peer_id_of(identity)
    is_dealer, _ = _roles(ceremony, keys, peer_id)
    if ceremony.is_reshare and is_dealer and old_share is None:
        raise CeremonyRunError("this participant deals in the resharing: give its current "
                               "share keystore (--old-keystore)")
    now = time.time() if now is None else now
    saved = load_state(directory / state_file(ceremony.id), ceremony.id, timeouts)
    try:
        if saved is not None:
            session = DkgSession.from_state(saved.session, keys, backend)
            saved.resumes += 1
            return Participant(ceremony, keys, identity, peer_id, session, saved, True, directory)
        session = DkgSession(ceremony, keys, backend,
                             old_share=old_share if is_dealer and ceremony.is_reshare else None)
    except DkgError as exc:
        raise CeremonyRunError(f"cannot take part: {exc}") from exc
    state = SavedState(ceremony.id, PhaseClock.start(timeouts, now), now, 0, b"")
    return Participant(ceremony, keys, identity, peer_id, session, state, False, directory)
