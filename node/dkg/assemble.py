"""Assembling a ceremony file from the participants' entries (what `guardian dkg keygen` prints):
the organiser collects them, fixes the order (entry k becomes guardian k), the threshold, the
key epoch and, for a resharing, the current guardian set and which of its guardians deal.
Every participant then checks the file (its id is printed) and runs with the identical file.
"""

from __future__ import annotations

import json
from pathlib import Path

from node.dkg import CeremonyRunError
from protocol.dkg_ceremony import Ceremony, Participant, Previous
from protocol.dkg_errors import DkgError
from protocol.guardian_set import GuardianSet, GuardianSetError

ENTRY_KEYS = {"peer_id", "encryption_key", "signing_key"}


def parse_entry(text: str, index: int, what: str) -> Participant:
    """One entry (JSON object with peer_id, encryption_key, signing_key; an `index`, if
    present, is replaced by the position the organiser gives it)."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise CeremonyRunError(f"{what}: not JSON ({exc})") from exc
    if not isinstance(raw, dict) or not ENTRY_KEYS <= set(raw) <= ENTRY_KEYS | {"index"}:
        raise CeremonyRunError(f"{what}: expected a JSON object with keys {sorted(ENTRY_KEYS)} "
                               "(what `guardian dkg keygen` prints)")
    try:
        return Participant(index, raw["peer_id"], _key(raw["encryption_key"], what),
                           _key(raw["signing_key"], what))
    except DkgError as exc:
        raise CeremonyRunError(f"{what}: {exc}") from exc


def _key(value, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise CeremonyRunError(f"{what}: keys must be 0x-prefixed hex of 32 bytes")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise CeremonyRunError(f"{what}: keys must be hex") from exc


def read_entry(path: Path, index: int) -> Participant:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CeremonyRunError(f"entry file {path} unreadable: {exc}") from exc
    return parse_entry(text, index, f"entry file {path}")


def assemble(name: str, threshold: int, epoch: int, participants: list[Participant], *,
             previous_set: GuardianSet | None = None,
             dealers: list[Participant] | None = None) -> Ceremony:
    try:
        previous = None
        if previous_set is not None:
            previous = Previous(previous_set, tuple(sorted(dealers or [], key=lambda d: d.index)))
        return Ceremony(name, epoch, threshold, tuple(participants), previous)
    except DkgError as exc:
        raise CeremonyRunError(f"cannot assemble the ceremony: {exc}") from exc


def read_guardian_set(path: Path) -> GuardianSet:
    try:
        return GuardianSet.from_json(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise CeremonyRunError(f"guardian set file {path} unreadable: {exc}") from exc
    except GuardianSetError as exc:
        raise CeremonyRunError(f"guardian set file {path}: {exc}") from exc
