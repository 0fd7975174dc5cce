"""The arkworks backend (py-arkworks-bls12381): native, with multi-scalar multiplication and
uncompressed big-endian coordinates, which it uses for the EIP-2537 conversions.

Decoded points are cached by their bytes (bounded), like the pyblst backend.
"""

from __future__ import annotations

from functools import lru_cache

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from protocol.bls import eip2537
from protocol.bls.base import (
    G1_COMPRESSED,
    G2_COMPRESSED,
    Backend,
    as_bytes,
    check_dst,
    check_message,
    check_scalar,
    check_secret,
    parse_point,
)
from protocol.bls.errors import BLSError

_PAD = bytes(eip2537.FP_BYTES - 48)  # EIP-2537 pads each 48-byte field element to 64 bytes


@lru_cache(maxsize=4096)
def _parse_g1(data: bytes) -> G1Point:
    # from_compressed_bytes checks curve and subgroup
    return parse_point(data, G1Point.from_compressed_bytes, G1Point.to_compressed_bytes, "G1")


@lru_cache(maxsize=4096)
def _parse_g2(data: bytes) -> G2Point:
    return parse_point(data, G2Point.from_compressed_bytes, G2Point.to_compressed_bytes, "G2")


def _g1(data) -> G1Point:
    return _parse_g1(as_bytes(data, G1_COMPRESSED, "G1 point"))


def _g2(data) -> G2Point:
    return _parse_g2(as_bytes(data, G2_COMPRESSED, "G2 point"))


def _scalar(value: int) -> Scalar:
    return Scalar(check_scalar(value))


def _pad(xy: bytes) -> bytes:
    return b"".join(_PAD + xy[i:i + 48] for i in range(0, len(xy), 48))


def _unpad(data: bytes, count: int) -> bytes:
    return b"".join(eip2537.read_fp(data, i * eip2537.FP_BYTES).to_bytes(48, "big")
                    for i in range(count))


def _from_eip2537(data, cls, size: int, coords: int, group: str) -> bytes | None:
    """EIP-2537 bytes to compressed, with curve and subgroup checks; None for the point at infinity."""
    xy = _unpad(as_bytes(data, size, f"EIP-2537 {group} point"), coords)
    if not any(xy):
        return None
    try:
        point = cls.from_xy_bytes_unchecked_be(xy)
    except Exception as exc:  # noqa: BLE001
        raise BLSError(f"EIP-2537 {group} point is not on the curve") from exc
    if not point.is_in_subgroup():
        raise BLSError(f"EIP-2537 {group} point is not in the subgroup")
    return bytes(point.to_compressed_bytes())


class ArkworksBackend(Backend):
    name = "arkworks"

    def __init__(self) -> None:
        self._gen = G1Point()
        self._neg_gen = -G1Point()

    def sk_to_pk(self, sk: int) -> bytes:
        return bytes((self._gen * Scalar(check_secret(sk))).to_compressed_bytes())

    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        h = G2Point.hash_to_curve(check_message(msg), check_dst(dst))
        return bytes(h.to_compressed_bytes())

    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        sk = check_secret(sk)
        h = G2Point.hash_to_curve(check_message(msg), check_dst(dst))
        return bytes((h * Scalar(sk)).to_compressed_bytes())

    def _pairing_check(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        h = G2Point.hash_to_curve(msg, dst)
        return GT.pairing_check([_g1(pk), self._neg_gen], [h, _g2(sig)])

    def g1_add(self, a: bytes, b: bytes) -> bytes:
        return bytes((_g1(a) + _g1(b)).to_compressed_bytes())

    def g2_add(self, a: bytes, b: bytes) -> bytes:
        return bytes((_g2(a) + _g2(b)).to_compressed_bytes())

    def g1_mul(self, point: bytes, scalar: int) -> bytes:
        return bytes((_g1(point) * _scalar(scalar)).to_compressed_bytes())

    def g2_mul(self, point: bytes, scalar: int) -> bytes:
        return bytes((_g2(point) * _scalar(scalar)).to_compressed_bytes())

    def g1_msm(self, points, scalars) -> bytes:
        pts, scs = [_g1(p) for p in points], [_scalar(s) for s in scalars]
        if len(pts) != len(scs):
            raise BLSError("points and scalars differ in length")
        if not pts:
            return self.g1_infinity()
        # "unchecked" skips arkworks' own subgroup checks: _g1 has already done them
        return bytes(G1Point.multiexp_unchecked(pts, scs).to_compressed_bytes())

    def g2_msm(self, points, scalars) -> bytes:
        pts, scs = [_g2(p) for p in points], [_scalar(s) for s in scalars]
        if len(pts) != len(scs):
            raise BLSError("points and scalars differ in length")
        if not pts:
            return self.g2_infinity()
        return bytes(G2Point.multiexp_unchecked(pts, scs).to_compressed_bytes())

    def _check_g1(self, data: bytes) -> None:
        _g1(data)

    def _check_g2(self, data: bytes) -> None:
        _g2(data)

    # EIP-2537 through arkworks' own uncompressed big-endian coordinates -------------------
    def g1_to_eip2537(self, point: bytes) -> bytes:
        return _pad(bytes(_g1(point).to_xy_bytes_be()))  # infinity is all zeros in both

    def g2_to_eip2537(self, point: bytes) -> bytes:
        return _pad(bytes(_g2(point).to_xy_bytes_be()))

    def g1_from_eip2537(self, data: bytes) -> bytes:
        return _from_eip2537(data, G1Point, eip2537.G1_BYTES, 2, "G1") or self.g1_infinity()

    def g2_from_eip2537(self, data: bytes) -> bytes:
        return _from_eip2537(data, G2Point, eip2537.G2_BYTES, 4, "G2") or self.g2_infinity()
