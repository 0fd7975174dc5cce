"""The ceremony description every participant of a DKG (or resharing) starts from: who takes
part, the threshold, the key epoch of the result and, for a resharing, the current guardian set
and which of its guardians deal.

Participants are listed with indices 1..n in order (index i becomes guardian i of the new
guardian set), each with its libp2p peer id (used by the runner only), its X25519 encryption key
and its Ed25519 signing key (`protocol.dkg_keys`). In a fresh DKG every participant deals and
receives. In a resharing (`previous` set) the dealers are guardians of the previous set, listed
under their old indices with their ceremony keys, and the participants are the new set.

The ceremony id is SHA-256 of the canonical msgpack encoding (domain-separated): every message,
encryption and the transcript is bound to it, so all participants must hold an identical file.
The JSON form (`to_json` / `from_json`) is the file operators exchange.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import msgpack

from protocol.dkg_errors import CeremonyError
from protocol.dkg_keys import KEY_BYTES
from protocol.guardian_set import MAX_GUARDIANS, GuardianSet, GuardianSetError, _check_peer_id

CEREMONY_VERSION = 1
MAX_NAME_LENGTH = 64
_DOMAIN = b"GUARDIAN-NETWORK-V1-DKG-CEREMONY"
_JSON_KEYS = ("version", "kind", "name", "epoch", "threshold", "participants", "previous")
_PARTICIPANT_KEYS = ("index", "peer_id", "encryption_key", "signing_key")


@dataclass(frozen=True)
class Participant:
    index: int
    peer_id: str
    encryption_key: bytes   # X25519 public key, 32 bytes
    signing_key: bytes      # Ed25519 public key, 32 bytes

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not (
                1 <= self.index <= MAX_GUARDIANS):
            raise CeremonyError(f"participant index must be in 1..{MAX_GUARDIANS}")
        try:
            _check_peer_id(self.peer_id, f"peer id of participant {self.index}")
        except GuardianSetError as exc:
            raise CeremonyError(str(exc)) from exc
        for name in ("encryption_key", "signing_key"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != KEY_BYTES:
                raise CeremonyError(f"{name} of participant {self.index} must be 32 bytes")

    def fields(self) -> list:
        return [self.index, self.peer_id, self.encryption_key, self.signing_key]

    def to_json_obj(self) -> dict:
        return {"index": self.index, "peer_id": self.peer_id,
                "encryption_key": "0x" + self.encryption_key.hex(),
                "signing_key": "0x" + self.signing_key.hex()}


@dataclass(frozen=True)
class Previous:
    """What a resharing starts from: the current guardian set and the old guardians that deal
    (at least its threshold of them), listed under their indices in that set."""

    guardian_set: GuardianSet
    dealers: tuple[Participant, ...]

    def __post_init__(self) -> None:
        indices = [d.index for d in self.dealers]
        if indices != sorted(set(indices)):
            raise CeremonyError("resharing dealers must be listed by increasing, distinct index")
        if any(i > self.guardian_set.n for i in indices):
            raise CeremonyError(f"a resharing dealer is not in the previous set (1..{self.guardian_set.n})")
        if len(indices) < self.guardian_set.threshold:
            raise CeremonyError(f"{len(indices)} resharing dealers, the previous threshold is "
                                f"{self.guardian_set.threshold}")


@dataclass(frozen=True)
class Ceremony:
    name: str
    epoch: int
    threshold: int
    participants: tuple[Participant, ...]
    previous: Previous | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= MAX_NAME_LENGTH or not (
                self.name.isprintable()):
            raise CeremonyError(f"ceremony name must be 1..{MAX_NAME_LENGTH} printable characters")
        for what in ("epoch", "threshold"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**64:
                raise CeremonyError(f"{what} must be an integer in 1..2^64-1")
        n = len(self.participants)
        if not 1 <= n <= MAX_GUARDIANS:
            raise CeremonyError(f"participant count {n} outside 1..{MAX_GUARDIANS}")
        if [p.index for p in self.participants] != list(range(1, n + 1)):
            raise CeremonyError("participants must be listed with indices 1..n in order")
        if not n < 2 * self.threshold <= 2 * n:  # the oracle accepts only n/2 < t <= n
            raise CeremonyError(f"threshold {self.threshold} must be a majority of {n} "
                                "participants (n/2 < t <= n), as the oracle requires")
        for group in (self.participants, self.dealers):
            for attr in ("peer_id", "encryption_key", "signing_key"):
                values = [getattr(p, attr) for p in group]
                if len(set(values)) != len(values):
                    raise CeremonyError(f"two participants share a {attr.replace('_', ' ')}")
        if self.previous is not None and self.previous.guardian_set.epoch != self.epoch:
            raise CeremonyError("a resharing keeps the group key, so it keeps the key epoch "
                                f"{self.previous.guardian_set.epoch}")

    # roles -------------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.participants)

    @property
    def is_reshare(self) -> bool:
        return self.previous is not None

    @property
    def dealers(self) -> tuple[Participant, ...]:
        """Who deals: every participant (fresh DKG) or the listed old guardians (resharing)."""
        return self.previous.dealers if self.previous is not None else self.participants

    @property
    def recipients(self) -> tuple[Participant, ...]:
        return self.participants

    @property
    def min_qualified(self) -> int:
        """Qualified dealers needed: t (fresh; so at least one is honest if fewer than t are
        corrupt) or the previous threshold (resharing; to interpolate the old shares)."""
        return (self.previous.guardian_set.threshold if self.previous is not None
                else self.threshold)

    def dealer(self, index: int) -> Participant | None:
        for p in self.dealers:
            if p.index == index:
                return p
        return None

    def recipient(self, index: int) -> Participant | None:
        return self.participants[index - 1] if 1 <= index <= self.n else None

    # encodings ---------------------------------------------------------------------------------
    def encode(self) -> bytes:
        previous = None if self.previous is None else [
            self.previous.guardian_set.encode(), [d.fields() for d in self.previous.dealers]]
        return msgpack.packb({"v": CEREMONY_VERSION, "name": self.name, "epoch": self.epoch,
                              "threshold": self.threshold,
                              "participants": [p.fields() for p in self.participants],
                              "previous": previous}, use_bin_type=True)

    @property
    def id(self) -> bytes:
        """32 bytes naming this exact ceremony (bound into every message and ciphertext)."""
        return hashlib.sha256(_DOMAIN + self.encode()).digest()

    def to_json(self) -> str:
        previous = None if self.previous is None else {
            "guardian_set": json.loads(self.previous.guardian_set.to_json()),
            "dealers": [d.to_json_obj() for d in self.previous.dealers]}
        return json.dumps({"version": CEREMONY_VERSION, "kind": "guardian-dkg-ceremony",
                           "name": self.name, "epoch": self.epoch, "threshold": self.threshold,
                           "participants": [p.to_json_obj() for p in self.participants],
                           "previous": previous, "id": "0x" + self.id.hex()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Ceremony:
        """Parse a ceremony file (unknown keys refused; an `id`, if present, must match)."""
        try:
            raw = json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raise CeremonyError(f"malformed ceremony file: {exc}") from exc
        if not isinstance(raw, dict) or not set(_JSON_KEYS) <= set(raw) <= {*_JSON_KEYS, "id"}:
            raise CeremonyError(f"ceremony file must be a JSON object with keys {_JSON_KEYS}")
        if raw["version"] != CEREMONY_VERSION or raw["kind"] != "guardian-dkg-ceremony":
            raise CeremonyError("not a version-1 guardian DKG ceremony file")
        previous = raw["previous"]
        if previous is not None:
            if not isinstance(previous, dict) or sorted(previous) != ["dealers", "guardian_set"]:
                raise CeremonyError("previous must be {guardian_set, dealers} or null")
            try:
                gset = GuardianSet.from_json(json.dumps(previous["guardian_set"]))
            except (GuardianSetError, TypeError, ValueError) as exc:
                raise CeremonyError(f"previous guardian set: {exc}") from exc
            previous = Previous(gset, _participants(previous["dealers"], "previous.dealers"))
        ceremony = cls(raw["name"], raw["epoch"], raw["threshold"],
                       _participants(raw["participants"], "participants"), previous)
        if "id" in raw and raw["id"] != "0x" + ceremony.id.hex():
            raise CeremonyError("'id' does not match the ceremony's contents")
        return ceremony


def _participants(raw, what: str) -> tuple[Participant, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_GUARDIANS:
        raise CeremonyError(f"{what} must be a list of at most {MAX_GUARDIANS} entries")
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or sorted(entry) != sorted(_PARTICIPANT_KEYS):
            raise CeremonyError(f"each of {what} must have exactly the keys {_PARTICIPANT_KEYS}")
        out.append(Participant(entry["index"], entry["peer_id"],
                               _hex32(entry["encryption_key"]), _hex32(entry["signing_key"])))
    return tuple(out)


def _hex32(value) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise CeremonyError("keys must be 0x-prefixed hex of 32 bytes")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise CeremonyError(f"not a hex string: {value[:20]!r}") from exc


__all__ = ["CEREMONY_VERSION", "Ceremony", "Participant", "Previous"]
