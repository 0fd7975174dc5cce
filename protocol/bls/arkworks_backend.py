"""The arkworks backend (py-arkworks-bls12381): native, with multi-scalar multiplication."""

from __future__ import annotations

from functools import lru_cache

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from protocol.bls.base import CURVE_ORDER, Backend, check_secret
from protocol.bls.errors import BLSError


@lru_cache(maxsize=4096)
def _g1(data: bytes) -> G1Point:
    try:
        return G1Point.from_compressed_bytes(data)
    except Exception as exc:  # noqa: BLE001 - arkworks raises ValueError with a Rust message
        raise BLSError(f"invalid G1 point: {exc}") from exc


@lru_cache(maxsize=4096)
def _g2(data: bytes) -> G2Point:
    try:
        return G2Point.from_compressed_bytes(data)
    except Exception as exc:  # noqa: BLE001
        raise BLSError(f"invalid G2 point: {exc}") from exc


def _scalar(value: int) -> Scalar:
    return Scalar(value % CURVE_ORDER)


class ArkworksBackend(Backend):
    name = "arkworks"

    def __init__(self) -> None:
        self._gen = G1Point()
        self._neg_gen = -G1Point()

    def sk_to_pk(self, sk: int) -> bytes:
        return bytes((self._gen * _scalar(check_secret(sk))).to_compressed_bytes())

    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        return bytes(G2Point.hash_to_curve(bytes(msg), bytes(dst)).to_compressed_bytes())

    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        h = G2Point.hash_to_curve(bytes(msg), bytes(dst))
        return bytes((h * _scalar(check_secret(sk))).to_compressed_bytes())

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
        pts = [_g1(p) for p in points]
        if len(pts) != len(scalars):
            raise BLSError("points and scalars differ in length")
        if not pts:
            return self.g1_infinity()
        return bytes(G1Point.multiexp_unchecked(pts, [_scalar(s) for s in scalars])
                     .to_compressed_bytes())

    def g2_msm(self, points, scalars) -> bytes:
        pts = [_g2(p) for p in points]
        if len(pts) != len(scalars):
            raise BLSError("points and scalars differ in length")
        if not pts:
            return self.g2_infinity()
        return bytes(G2Point.multiexp_unchecked(pts, [_scalar(s) for s in scalars])
                     .to_compressed_bytes())

    def _check_g1(self, data: bytes) -> None:
        if bytes(_g1(data).to_compressed_bytes()) != data:
            raise BLSError("non-canonical G1 encoding")

    def _check_g2(self, data: bytes) -> None:
        if bytes(_g2(data).to_compressed_bytes()) != data:
            raise BLSError("non-canonical G2 encoding")
