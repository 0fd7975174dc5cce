"""The default backend: supranational/blst through pyblst (compressed encodings only)."""

from __future__ import annotations

from functools import lru_cache

import pyblst
from pyblst import BlstP1Element as P1
from pyblst import BlstP2Element as P2

from protocol.bls.base import CURVE_ORDER, Backend, check_secret
from protocol.bls.errors import BLSError

_G1 = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")


@lru_cache(maxsize=4096)
def _p1(data: bytes) -> P1:
    try:
        return P1.uncompress(data)
    except Exception as exc:  # noqa: BLE001 - blst reports as ValueError or its own type
        raise BLSError(f"invalid G1 point: {exc}") from exc


@lru_cache(maxsize=4096)
def _p2(data: bytes) -> P2:
    try:
        return P2.uncompress(data)
    except Exception as exc:  # noqa: BLE001
        raise BLSError(f"invalid G2 point: {exc}") from exc


def _canonical(point, data: bytes, what: str) -> None:
    if point.compress() != data:
        raise BLSError(f"non-canonical {what} encoding")


class PyblstBackend(Backend):
    name = "pyblst"

    def __init__(self) -> None:
        self._g1 = P1.uncompress(_G1)

    def sk_to_pk(self, sk: int) -> bytes:
        return self._g1.scalar_mul(check_secret(sk)).compress()

    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        return P2.hash_to_group(bytes(msg), bytes(dst)).compress()

    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        return P2.hash_to_group(bytes(msg), bytes(dst)).scalar_mul(check_secret(sk)).compress()

    def _pairing_check(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        h = P2.hash_to_group(msg, dst)
        return pyblst.final_verify(pyblst.miller_loop(_p1(pk), h),
                                   pyblst.miller_loop(self._g1, _p2(sig)))

    def g1_add(self, a: bytes, b: bytes) -> bytes:
        return (_p1(a) + _p1(b)).compress()

    def g2_add(self, a: bytes, b: bytes) -> bytes:
        return (_p2(a) + _p2(b)).compress()

    def g1_mul(self, point: bytes, scalar: int) -> bytes:
        return _p1(point).scalar_mul(scalar % CURVE_ORDER).compress()

    def g2_mul(self, point: bytes, scalar: int) -> bytes:
        return _p2(point).scalar_mul(scalar % CURVE_ORDER).compress()

    def g2_msm(self, points, scalars) -> bytes:
        acc = P2()
        for point, scalar in zip(points, scalars, strict=True):
            acc = acc + _p2(point).scalar_mul(scalar % CURVE_ORDER)
        return acc.compress()

    def g1_msm(self, points, scalars) -> bytes:
        acc = P1()
        for point, scalar in zip(points, scalars, strict=True):
            acc = acc + _p1(point).scalar_mul(scalar % CURVE_ORDER)
        return acc.compress()

    def _check_g1(self, data: bytes) -> None:
        _canonical(_p1(data), data, "G1")

    def _check_g2(self, data: bytes) -> None:
        _canonical(_p2(data), data, "G2")
