"""The default backend: supranational/blst through pyblst.

pyblst exposes compressed encodings, point addition, scalar multiplication, hash-to-G2 with any DST
and Miller loop plus final exponentiation; there is no multi-scalar multiplication, so the MSMs
are sums of products (blst is fast enough that 67 terms take about 10 ms). EIP-2537 coordinates
come from the integer arithmetic in `protocol.bls.eip2537`.

Decoded points are cached by their bytes (bounded): a guardian set's public shares are parsed
once, not once per verification.
"""

from __future__ import annotations

from functools import lru_cache

import pyblst
from pyblst import BlstP1Element as P1
from pyblst import BlstP2Element as P2

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

_G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")


@lru_cache(maxsize=4096)
def _parse_g1(data: bytes) -> P1:
    return parse_point(data, P1.uncompress, P1.compress, "G1")  # uncompress checks the subgroup


@lru_cache(maxsize=4096)
def _parse_g2(data: bytes) -> P2:
    return parse_point(data, P2.uncompress, P2.compress, "G2")


def _p1(data) -> P1:
    return _parse_g1(as_bytes(data, G1_COMPRESSED, "G1 point"))


def _p2(data) -> P2:
    return _parse_g2(as_bytes(data, G2_COMPRESSED, "G2 point"))


class PyblstBackend(Backend):
    name = "pyblst"

    def __init__(self) -> None:
        self._g1 = P1.uncompress(_G1_GENERATOR)

    def sk_to_pk(self, sk: int) -> bytes:
        return self._g1.scalar_mul(check_secret(sk)).compress()

    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        return P2.hash_to_group(check_message(msg), check_dst(dst)).compress()

    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        sk = check_secret(sk)
        return P2.hash_to_group(check_message(msg), check_dst(dst)).scalar_mul(sk).compress()

    def _pairing_check(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        h = P2.hash_to_group(msg, dst)
        return pyblst.final_verify(pyblst.miller_loop(_p1(pk), h),
                                   pyblst.miller_loop(self._g1, _p2(sig)))

    def g1_add(self, a: bytes, b: bytes) -> bytes:
        return (_p1(a) + _p1(b)).compress()

    def g2_add(self, a: bytes, b: bytes) -> bytes:
        return (_p2(a) + _p2(b)).compress()

    def g1_mul(self, point: bytes, scalar: int) -> bytes:
        return _p1(point).scalar_mul(check_scalar(scalar)).compress()

    def g2_mul(self, point: bytes, scalar: int) -> bytes:
        return _p2(point).scalar_mul(check_scalar(scalar)).compress()

    def g1_msm(self, points, scalars) -> bytes:
        points, scalars = list(points), list(scalars)
        if len(points) != len(scalars):
            raise BLSError("points and scalars differ in length")
        acc = P1()
        for point, scalar in zip(points, scalars, strict=True):
            acc = acc + _p1(point).scalar_mul(check_scalar(scalar))
        return acc.compress()

    def g2_msm(self, points, scalars) -> bytes:
        points, scalars = list(points), list(scalars)
        if len(points) != len(scalars):
            raise BLSError("points and scalars differ in length")
        acc = P2()
        for point, scalar in zip(points, scalars, strict=True):
            acc = acc + _p2(point).scalar_mul(check_scalar(scalar))
        return acc.compress()

    def _check_g1(self, data: bytes) -> None:
        _p1(data)

    def _check_g2(self, data: bytes) -> None:
        _p2(data)
