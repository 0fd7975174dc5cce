"""The backend interface every BLS implementation provides, and what they share.

Encodings: compressed points (G1 48 bytes, G2 96 bytes, ZCash flags) everywhere off chain;
EIP-2537 uncompressed points (G1 128 bytes, G2 256 bytes) for the oracle's calldata, converted in
`protocol.bls.eip2537`. Secret keys are integers in [1, r).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from protocol.bls import eip2537
from protocol.bls.errors import BLSError

FIELD_MODULUS = eip2537.P
CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001

DST_AUTHORIZATION = b"GUARDIAN-NETWORK-V1-AUTHORIZATION_BLS12381G2_XMD:SHA-256_SSWU_RO_"
DST_GOSSIP = b"GUARDIAN-NETWORK-V1-GOSSIP_BLS12381G2_XMD:SHA-256_SSWU_RO_"

G1_COMPRESSED = eip2537.G1_COMPRESSED
G2_COMPRESSED = eip2537.G2_COMPRESSED


def parse_point(data: bytes, decode, encode, group: str):
    """Decode a compressed point with a backend's `decode` (which checks curve and subgroup, or
    raises), and require `encode` to give the same bytes back (one encoding per point)."""
    try:
        point = decode(data)
    except Exception as exc:  # noqa: BLE001 - each library raises its own types
        raise BLSError(f"invalid {group} point: {exc}") from exc
    if bytes(encode(point)) != data:
        raise BLSError(f"non-canonical {group} encoding")
    return point


def check_secret(sk: int) -> int:
    """A secret key is an int in [1, r) (never a bool); raises BLSError otherwise."""
    if isinstance(sk, bool) or not isinstance(sk, int) or not 0 < sk < CURVE_ORDER:
        raise BLSError("secret key must be an integer in [1, r)")
    return sk


def check_scalar(scalar: int) -> int:
    """A scalar for point multiplication: any int (reduced mod r), never a bool."""
    if isinstance(scalar, bool) or not isinstance(scalar, int):
        raise BLSError("scalar must be an integer")
    return scalar % CURVE_ORDER


def check_message(msg) -> bytes:
    """A message to hash or sign: any bytes-like value (never str or int)."""
    if not isinstance(msg, bytes | bytearray | memoryview):
        raise BLSError("message must be bytes")
    return bytes(msg)


def check_dst(dst) -> bytes:
    """A domain separation tag: 1 to 255 bytes (RFC 9380 section 3.1; longer tags would need the
    oversize-DST hashing, which no tag of this project needs)."""
    if not isinstance(dst, bytes | bytearray | memoryview) or not 1 <= len(dst) <= 255:
        raise BLSError("domain separation tag must be 1 to 255 bytes")
    return bytes(dst)


def as_bytes(data, size: int, what: str) -> bytes:
    """`data` as immutable bytes of exactly `size` bytes; raises BLSError otherwise."""
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) != size:
        raise BLSError(f"{what} must be {size} bytes")
    return bytes(data)


class Backend(ABC):
    """One BLS12-381 implementation. Subclasses implement the abstract primitives on compressed
    encodings; the shared rules (verify never raises, infinity is never a public key, EIP-2537
    conversion with subgroup checks) live here so every backend applies them identically.

    Every method except `verify`, `g1_is_valid` and `g2_is_valid` raises BLSError on a malformed
    input (wrong length, not on the curve, not in the subgroup, non-canonical flags)."""

    name: str

    # keys and signatures ---------------------------------------------------------------------
    @abstractmethod
    def sk_to_pk(self, sk: int) -> bytes:
        """The 48-byte public key of `sk`."""

    @abstractmethod
    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        """RFC 9380 hash_to_curve (BLS12381G2_XMD:SHA-256_SSWU_RO_) with `dst`, compressed."""

    @abstractmethod
    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        """sk * H(msg), compressed (96 bytes)."""

    @abstractmethod
    def _pairing_check(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        """e(pk, H(msg)) == e(g1, sig); may raise on malformed input."""

    def verify(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        """True iff `sig` is a valid signature of `msg` under `pk`. Never raises."""
        try:
            if not (isinstance(pk, bytes | bytearray) and len(pk) == G1_COMPRESSED
                    and isinstance(sig, bytes | bytearray) and len(sig) == G2_COMPRESSED):
                return False
            if pk[0] & 0x40:  # the point at infinity is never a valid public key
                return False
            return bool(self._pairing_check(bytes(pk), check_message(msg), bytes(sig),
                                             check_dst(dst)))
        except Exception:  # noqa: BLE001 - any failure to parse means "does not verify"
            return False

    # group operations ------------------------------------------------------------------------
    @abstractmethod
    def g1_add(self, a: bytes, b: bytes) -> bytes: ...

    @abstractmethod
    def g2_add(self, a: bytes, b: bytes) -> bytes: ...

    @abstractmethod
    def g1_mul(self, point: bytes, scalar: int) -> bytes: ...

    @abstractmethod
    def g2_mul(self, point: bytes, scalar: int) -> bytes: ...

    def g1_msm(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        acc = self.g1_infinity()
        for point, scalar in zip(points, scalars, strict=True):
            acc = self.g1_add(acc, self.g1_mul(point, scalar))
        return acc

    def g2_msm(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        acc = self.g2_infinity()
        for point, scalar in zip(points, scalars, strict=True):
            acc = self.g2_add(acc, self.g2_mul(point, scalar))
        return acc

    def aggregate(self, signatures: Sequence[bytes]) -> bytes:
        if not signatures:
            raise BLSError("nothing to aggregate")
        acc = signatures[0]
        self._check_g2(acc)
        for sig in signatures[1:]:
            acc = self.g2_add(acc, sig)
        return acc

    @staticmethod
    def g1_infinity() -> bytes:
        return eip2537.G1_INFINITY

    @staticmethod
    def g2_infinity() -> bytes:
        return eip2537.G2_INFINITY

    def g1_generator(self) -> bytes:
        return self.sk_to_pk(1)

    # validity --------------------------------------------------------------------------------
    @abstractmethod
    def _check_g1(self, data: bytes) -> None:
        """Raise unless `data` is a canonical compressed G1 point in the subgroup."""

    @abstractmethod
    def _check_g2(self, data: bytes) -> None:
        """Raise unless `data` is a canonical compressed G2 point in the subgroup."""

    def g1_is_valid(self, data: bytes) -> bool:
        try:
            if not isinstance(data, bytes | bytearray) or len(data) != G1_COMPRESSED:
                return False
            self._check_g1(bytes(data))
            return True
        except Exception:  # noqa: BLE001
            return False

    def g2_is_valid(self, data: bytes) -> bool:
        try:
            if not isinstance(data, bytes | bytearray) or len(data) != G2_COMPRESSED:
                return False
            self._check_g2(bytes(data))
            return True
        except Exception:  # noqa: BLE001
            return False

    # EIP-2537 --------------------------------------------------------------------------------
    # The coordinates come from plain integer arithmetic (protocol.bls.eip2537); the backend
    # contributes the subgroup and canonical-encoding checks. A backend with native uncompressed
    # encodings may override these four.
    def g1_to_eip2537(self, point: bytes) -> bytes:
        """128-byte EIP-2537 form of a valid compressed G1 point (infinity -> all zeros)."""
        if not self.g1_is_valid(point):
            raise BLSError("not a valid compressed G1 point")
        return eip2537.g1_to_eip2537(bytes(point))

    def g2_to_eip2537(self, point: bytes) -> bytes:
        """256-byte EIP-2537 form of a valid compressed G2 point (infinity -> all zeros)."""
        if not self.g2_is_valid(point):
            raise BLSError("not a valid compressed G2 point")
        return eip2537.g2_to_eip2537(bytes(point))

    def g1_from_eip2537(self, data: bytes) -> bytes:
        """Compressed form of a 128-byte EIP-2537 G1 point, which must be on the curve and in
        the subgroup."""
        point = eip2537.g1_from_eip2537(data)
        if not self.g1_is_valid(point):
            raise BLSError("EIP-2537 G1 point is not in the subgroup")
        return point

    def g2_from_eip2537(self, data: bytes) -> bytes:
        """Compressed form of a 256-byte EIP-2537 G2 point, which must be on the curve and in
        the subgroup."""
        point = eip2537.g2_from_eip2537(data)
        if not self.g2_is_valid(point):
            raise BLSError("EIP-2537 G2 point is not in the subgroup")
        return point
