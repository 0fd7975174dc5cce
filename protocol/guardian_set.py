"""The guardian set: who the guardians are (indices 1..n and their public shares), the group key
they sign for together, the threshold t and the key epoch the oracle knows them by.

Its canonical encoding is a msgpack map with the keys in a fixed order
(v, epoch, threshold, group_public_key, public_shares[, peer_ids]); its hash (keccak256 of that
encoding) identifies the set. The JSON form is the public file operators share.

`peer_ids` names each guardian's libp2p peer id (base58, index i at position i - 1). It is how
guardians recognise each other on the network: members are kept connected and meshed, everyone
else is refused or at most observes. A set without peer ids (an older file) is still valid for
signing; a node running on it cannot tell members from strangers and says so at start.

Validation has two levels. Constructing a GuardianSet checks the shape: integer ranges,
1 <= t <= n <= MAX_GUARDIANS, 48-byte keys, distinct shares. `validate(backend)` checks the
cryptography: every key is a point of the G1 subgroup other than infinity, and the group key and
the n public shares are consistent, i.e. they are the values at 0, 1, ..., n of one polynomial of
degree < t (so any t valid partials combine to a signature under the group key). Load a set from
an untrusted file with `from_json` and then `validate`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import msgpack
from eth_hash.auto import keccak

MAX_GUARDIANS = 1024
SET_VERSION = 1
_KEYS = ("v", "epoch", "threshold", "group_public_key", "public_shares")
_KEYS_WITH_PEERS = _KEYS + ("peer_ids",)
MAX_PEER_ID_LENGTH = 128
_BASE58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


class GuardianSetError(ValueError):
    """A malformed or inconsistent guardian set; the message says what is wrong."""


def _check_point(value, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 48:
        raise GuardianSetError(f"{what} must be a 48-byte compressed G1 point")
    return value


@dataclass(frozen=True)
class GuardianSet:
    epoch: int
    threshold: int
    group_public_key: bytes
    public_shares: tuple[bytes, ...]
    peer_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("epoch", "threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
                raise GuardianSetError(f"{name} must be an unsigned 64-bit integer")
        if self.epoch < 1:
            raise GuardianSetError("epoch must be at least 1")
        n = len(self.public_shares)
        if not 1 <= n <= MAX_GUARDIANS:
            raise GuardianSetError(f"guardian count {n} outside 1..{MAX_GUARDIANS}")
        if not 1 <= self.threshold <= n:
            raise GuardianSetError(f"threshold {self.threshold} outside 1..{n}")
        _check_point(self.group_public_key, "group_public_key")
        for i, share in enumerate(self.public_shares, 1):
            _check_point(share, f"public share of guardian {i}")
        if self.threshold > 1 and len(set(self.public_shares)) != n:
            # (with t = 1 every share is the group secret itself, so they coincide)
            raise GuardianSetError("public shares must be distinct")
        if self.peer_ids:
            if len(self.peer_ids) != n:
                raise GuardianSetError(f"{len(self.peer_ids)} peer ids for {n} guardians")
            for i, peer in enumerate(self.peer_ids, 1):
                _check_peer_id(peer, f"peer id of guardian {i}")
            if len(set(self.peer_ids)) != n:
                raise GuardianSetError("peer ids must be distinct")

    @property
    def n(self) -> int:
        return len(self.public_shares)

    def is_member(self, index: int) -> bool:
        return isinstance(index, int) and not isinstance(index, bool) and 1 <= index <= self.n

    def index_of_peer(self, peer_id: str) -> int | None:
        """The guardian index whose libp2p peer id this is, or None for a non-member."""
        try:
            return self.peer_ids.index(peer_id) + 1
        except ValueError:
            return None

    def with_peer_ids(self, peer_ids) -> GuardianSet:
        return GuardianSet(self.epoch, self.threshold, self.group_public_key, self.public_shares,
                           tuple(peer_ids))

    def public_share(self, index: int) -> bytes:
        if not self.is_member(index):
            raise GuardianSetError(f"guardian {index} is not in the set (1..{self.n})")
        return self.public_shares[index - 1]

    def validate(self, backend) -> None:
        """Full check of an untrusted set: `validate_points`, then that the public shares and
        the group key lie on one polynomial of degree < t. Raises GuardianSetError."""
        from protocol.feldman import shares_are_consistent

        self.validate_points(backend)
        if not shares_are_consistent(self.group_public_key, self.public_shares, self.threshold,
                                     backend, seed=self.encode()):
            raise GuardianSetError("public shares are not consistent with the group key and "
                                   f"threshold {self.threshold}")

    def validate_points(self, backend) -> None:
        """Check every key is a valid G1 point (on the curve, in the subgroup, canonical) and not
        the point at infinity. See also `validate`, which adds the consistency check."""
        for what, point in [("group_public_key", self.group_public_key)] + [
                (f"public share of guardian {i}", p) for i, p in enumerate(self.public_shares, 1)]:
            if not backend.g1_is_valid(point) or point[0] & 0x40:
                raise GuardianSetError(f"{what} is not a valid G1 point")

    # canonical encoding ------------------------------------------------------------------------
    def encode(self) -> bytes:
        fields = {"v": SET_VERSION, "epoch": self.epoch, "threshold": self.threshold,
                  "group_public_key": self.group_public_key,
                  "public_shares": list(self.public_shares)}
        if self.peer_ids:
            fields["peer_ids"] = list(self.peer_ids)
        return msgpack.packb(fields, use_bin_type=True)

    @classmethod
    def decode(cls, data: bytes) -> GuardianSet:
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=True,
                                  max_bin_len=64, max_array_len=MAX_GUARDIANS, max_map_len=8,
                                  max_str_len=MAX_PEER_ID_LENGTH)
        except Exception as exc:  # noqa: BLE001 - msgpack raises many types
            raise GuardianSetError(f"not a guardian set encoding: {exc}") from exc
        if (not isinstance(raw, dict) or tuple(raw) not in (_KEYS, _KEYS_WITH_PEERS)
                or raw["v"] != SET_VERSION):
            raise GuardianSetError(f"guardian set must be a map with keys {_KEYS} "
                                   "(and optionally peer_ids), version 1")
        if not isinstance(raw["public_shares"], list):
            raise GuardianSetError("public_shares must be a list")
        peer_ids = raw.get("peer_ids", [])
        if not isinstance(peer_ids, list) or "peer_ids" in raw and not peer_ids:
            raise GuardianSetError("peer_ids must be a non-empty list")
        gset = cls(raw["epoch"], raw["threshold"], raw["group_public_key"],
                   tuple(raw["public_shares"]), tuple(peer_ids))
        if gset.encode() != data:
            raise GuardianSetError("non-canonical guardian set encoding")
        return gset

    def hash(self) -> bytes:
        return keccak(self.encode())

    # the public file ---------------------------------------------------------------------------
    def to_json(self) -> str:
        doc = {"version": SET_VERSION, "epoch": self.epoch, "threshold": self.threshold,
               "guardians": self.n, "group_public_key": "0x" + self.group_public_key.hex(),
               "public_shares": ["0x" + p.hex() for p in self.public_shares]}
        if self.peer_ids:
            doc["peer_ids"] = list(self.peer_ids)
        doc["hash"] = "0x" + self.hash().hex()
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> GuardianSet:
        """Parse the public file. Required: version (1), epoch, threshold (JSON integers),
        group_public_key, public_shares (0x-hex). Optional: peer_ids (base58 libp2p peer ids, one
        per guardian), guardians and hash, which must match.
        Unknown keys are refused. Does not check points: call `validate(backend)`."""
        try:
            raw = json.loads(text)  # bytes: UTF-8 (or -16/-32), a decoding error is a ValueError
        except (ValueError, TypeError) as exc:
            raise GuardianSetError(f"malformed guardian set file: {exc}") from exc
        except RecursionError as exc:
            raise GuardianSetError("malformed guardian set file: nested too deeply") from exc
        if not isinstance(raw, dict):
            raise GuardianSetError("malformed guardian set file: not a JSON object")
        missing = [k for k in _JSON_REQUIRED if k not in raw]
        unknown = sorted(set(raw) - set(_JSON_REQUIRED) - set(_JSON_OPTIONAL))
        if missing or unknown:
            raise GuardianSetError(f"malformed guardian set file: missing {missing}, "
                                   f"unknown {unknown}")
        if _json_int(raw["version"], "version") != SET_VERSION:
            raise GuardianSetError(f"unsupported guardian set version {raw['version']}")
        if not isinstance(raw["public_shares"], list):
            raise GuardianSetError("public_shares must be a list")
        peer_ids = raw.get("peer_ids", [])
        if not isinstance(peer_ids, list):
            raise GuardianSetError("peer_ids must be a list of strings")
        gset = cls(_json_int(raw["epoch"], "epoch"), _json_int(raw["threshold"], "threshold"),
                   _hex(raw["group_public_key"]), tuple(_hex(p) for p in raw["public_shares"]),
                   tuple(peer_ids))
        if raw.get("guardians", gset.n) != gset.n:
            raise GuardianSetError("'guardians' does not match the number of public shares")
        if "hash" in raw and raw["hash"] != "0x" + gset.hash().hex():
            raise GuardianSetError("'hash' does not match the guardian set's contents")
        return gset

    @classmethod
    def from_dealing(cls, dealing, epoch: int, backend) -> GuardianSet:
        from protocol.feldman import public_share

        shares = tuple(public_share(dealing.commitments, i, backend)
                       for i in range(1, dealing.n + 1))
        return cls(epoch, dealing.threshold, dealing.group_public_key, shares)


_JSON_REQUIRED = ("version", "epoch", "threshold", "group_public_key", "public_shares")
_JSON_OPTIONAL = ("guardians", "hash", "peer_ids")


def _check_peer_id(value, what: str) -> str:
    """A base58 libp2p peer id (the multihash of the peer's public key); the node checks that
    it parses, this checks its shape so that a set file can be validated without libp2p."""
    if (not isinstance(value, str) or not 1 <= len(value) <= MAX_PEER_ID_LENGTH
            or not set(value) <= _BASE58):
        raise GuardianSetError(f"{what} must be a base58 libp2p peer id")
    return value


def _json_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GuardianSetError(f"{what} must be a JSON integer")
    return value


def _hex(value) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise GuardianSetError("keys must be 0x-prefixed hex strings")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise GuardianSetError(f"not a hex string: {value[:20]!r}") from exc
