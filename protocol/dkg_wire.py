"""The DKG's ceremony messages and their strict msgpack encoding (see `protocol.wire` for what
canonical means). Each is a map whose first keys are `v` (1), `type` and `ceremony` (the 32-byte
ceremony id), then the type's fields; the last is `signature`, the sender's Ed25519 signature
(`protocol.dkg_keys`) over the message encoded with an empty signature.

    Deal           dealer -> everyone: the Feldman commitments (t compressed G1 points) and, for
                   every recipient 1..n, an ephemeral X25519 key and the encrypted share
                   (`protocol.dkg_crypto`)
    Response       recipient -> everyone: the dealers it complains about (sorted, distinct):
                   no deal held when the complaint phase began, or a share that does not open
                   or does not match the commitments (an empty list says "all good"); and the
                   hash of the deal it holds from each dealer (b"" for none), so that a dealer
                   who gave different recipients different deals is exposed: whoever holds a
                   deal that another recipient's hash contradicts rebroadcasts it
    Justification  dealer -> everyone: for each complainer, the ephemeral secret of its share,
                   so that everyone can open the broadcast ciphertext and judge
    Confirmation   dealer -> everyone, after judging: the hash of the transcript it computed
                   (`protocol.dkg_agreement`); a participant writes its result only when enough
                   qualified dealers confirmed the same hash

`decode` checks shape only (and raises only DkgMessageError); whether the sender is in the
ceremony, the signature and the points are checked by the session.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from protocol.dkg_crypto import CIPHERTEXT_BYTES
from protocol.dkg_errors import DkgMessageError
from protocol.dkg_keys import KEY_BYTES, SIGNATURE_BYTES, ParticipantKeys
from protocol.guardian_set import MAX_GUARDIANS
from protocol.wire import MessageError, check_keys, fixed_bytes, pack, uint, unpack_map

DKG_WIRE_VERSION = 1
G1_BYTES = 48
# the largest deal: 1024 commitments and 1024 recipients (48 + 32 + 48 bytes each, plus framing)
MAX_DKG_MESSAGE_BYTES = 160 * MAX_GUARDIANS + 1024
_HEADER = ("v", "type", "ceremony")


@dataclass(frozen=True)
class Deal:
    TYPE: ClassVar[str] = "deal"
    FIELDS: ClassVar[tuple[str, ...]] = ("dealer", "commitments", "ephemeral_keys",
                                         "ciphertexts", "signature")
    ceremony: bytes
    dealer: int
    commitments: tuple[bytes, ...]      # a_k * g1, k = 0..t-1
    ephemeral_keys: tuple[bytes, ...]   # position j-1: recipient j
    ciphertexts: tuple[bytes, ...]      # position j-1: recipient j
    signature: bytes = b""

    @property
    def sender(self) -> int:
        return self.dealer


@dataclass(frozen=True)
class Response:
    TYPE: ClassVar[str] = "response"
    FIELDS: ClassVar[tuple[str, ...]] = ("recipient", "complaints", "deal_hashes", "signature")
    ceremony: bytes
    recipient: int
    complaints: tuple[int, ...]         # dealer indices, increasing
    deal_hashes: tuple[bytes, ...]      # one per dealer, in the ceremony's order: 32 bytes or b""
    signature: bytes = b""

    @property
    def sender(self) -> int:
        return self.recipient


@dataclass(frozen=True)
class Justification:
    TYPE: ClassVar[str] = "justification"
    FIELDS: ClassVar[tuple[str, ...]] = ("dealer", "reveals", "signature")
    ceremony: bytes
    dealer: int
    reveals: tuple[tuple[int, bytes], ...]   # (recipient, ephemeral secret), increasing recipient
    signature: bytes = b""

    @property
    def sender(self) -> int:
        return self.dealer


@dataclass(frozen=True)
class Confirmation:
    TYPE: ClassVar[str] = "confirmation"
    FIELDS: ClassVar[tuple[str, ...]] = ("dealer", "transcript_hash", "signature")
    ceremony: bytes
    dealer: int
    transcript_hash: bytes              # 32 bytes: `protocol.dkg_judge.transcript_hash`
    signature: bytes = b""

    @property
    def sender(self) -> int:
        return self.dealer


DkgMessage = Deal | Response | Justification | Confirmation
TYPES: dict[str, type] = {cls.TYPE: cls for cls in (Deal, Response, Justification,
                                                    Confirmation)}


def _fields(msg: DkgMessage, signature: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"v": DKG_WIRE_VERSION, "type": msg.TYPE, "ceremony": msg.ceremony}
    for name in msg.FIELDS:
        value = signature if name == "signature" else getattr(msg, name)
        if name == "reveals":
            value = [[r, s] for r, s in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def encode(msg: DkgMessage) -> bytes:
    return pack(_fields(msg, msg.signature))


def signing_bytes(msg: DkgMessage) -> bytes:
    """What the sender signs: the encoding with an empty signature."""
    return pack(_fields(msg, b""))


def sign(msg: DkgMessage, keys: ParticipantKeys) -> DkgMessage:
    return replace(msg, signature=keys.sign(signing_bytes(msg)))


def deal_hash(raw: bytes) -> bytes:
    """The hash a Response quotes for a deal (of its exact bytes)."""
    return hashlib.sha256(b"GUARDIAN-NETWORK-V1-DKG-DEAL" + raw).digest()


def _list(raw: dict, key: str, what: str, length: int | None, max_length: int = MAX_GUARDIANS):
    value = raw[key]
    if not isinstance(value, list):
        raise DkgMessageError(f"{what}.{key}: expected a list")
    if length is not None and len(value) != length or len(value) > max_length:
        raise DkgMessageError(f"{what}.{key}: unexpected length {len(value)}")
    return value


def _blobs(raw: dict, key: str, what: str, size: int) -> tuple[bytes, ...]:
    items = _list(raw, key, what, None)
    if not items or any(not isinstance(b, bytes) or len(b) != size for b in items):
        raise DkgMessageError(f"{what}.{key}: expected a non-empty list of {size}-byte values")
    return tuple(items)


def _indices(raw: dict, key: str, what: str) -> tuple[int, ...]:
    items = _list(raw, key, what, None)
    if any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= MAX_GUARDIANS
           for i in items) or items != sorted(set(items)):
        raise DkgMessageError(f"{what}.{key}: expected increasing indices in 1..{MAX_GUARDIANS}")
    return tuple(items)


def _decode(data: bytes) -> DkgMessage:
    raw = unpack_map(data, MAX_DKG_MESSAGE_BYTES)
    kind = raw.get("type")
    if raw.get("v") != DKG_WIRE_VERSION or not isinstance(kind, str) or kind not in TYPES:
        raise DkgMessageError("not a version-1 DKG message (deal, response, justification or "
                              "confirmation)")
    cls = TYPES[kind]
    check_keys(raw, _HEADER + cls.FIELDS, kind)
    ceremony = fixed_bytes(raw, "ceremony", kind, 32)
    signature = fixed_bytes(raw, "signature", kind, SIGNATURE_BYTES)
    if cls is Deal:
        dealer = uint(raw, "dealer", kind, 16, 1)
        commitments = _blobs(raw, "commitments", kind, G1_BYTES)
        keys = _blobs(raw, "ephemeral_keys", kind, KEY_BYTES)
        ciphertexts = _blobs(raw, "ciphertexts", kind, CIPHERTEXT_BYTES)
        if len(keys) != len(ciphertexts):
            raise DkgMessageError("deal: one ephemeral key per ciphertext")
        msg: DkgMessage = Deal(ceremony, dealer, commitments, keys, ciphertexts, signature)
    elif cls is Response:
        hashes = _list(raw, "deal_hashes", kind, None)
        if not hashes or any(not isinstance(h, bytes) or len(h) not in (0, 32) for h in hashes):
            raise DkgMessageError("response.deal_hashes: expected 32-byte hashes or empty bytes")
        msg = Response(ceremony, uint(raw, "recipient", kind, 16, 1),
                       _indices(raw, "complaints", kind), tuple(hashes), signature)
    elif cls is Confirmation:
        msg = Confirmation(ceremony, uint(raw, "dealer", kind, 16, 1),
                           fixed_bytes(raw, "transcript_hash", kind, 32), signature)
    else:
        pairs = _list(raw, "reveals", kind, None)
        reveals = []
        for pair in pairs:
            if (not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool)
                    or not isinstance(pair[0], int) or not 1 <= pair[0] <= MAX_GUARDIANS
                    or not isinstance(pair[1], bytes) or len(pair[1]) != KEY_BYTES):
                raise DkgMessageError("justification.reveals: expected [recipient, 32 bytes]")
            reveals.append((pair[0], pair[1]))
        if [r for r, _ in reveals] != sorted({r for r, _ in reveals}) or not reveals:
            raise DkgMessageError("justification.reveals: recipients must increase")
        msg = Justification(ceremony, uint(raw, "dealer", kind, 16, 1), tuple(reveals),
                            signature)
    if encode(msg) != bytes(data):
        raise DkgMessageError(f"{kind}: non-canonical encoding")
    return msg


def decode(data: bytes) -> DkgMessage:
    """Parse a ceremony message. Raises only DkgMessageError."""
    try:
        return _decode(data)
    except DkgMessageError:
        raise
    except MessageError as exc:
        raise DkgMessageError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - the last line of defence for untrusted input
        raise DkgMessageError(f"malformed DKG message ({type(exc).__name__})") from exc


__all__ = ["Confirmation", "DKG_WIRE_VERSION", "Deal", "DkgMessage", "Justification", "MAX_DKG_MESSAGE_BYTES",
           "Response", "deal_hash", "decode", "encode", "sign", "signing_bytes"]
