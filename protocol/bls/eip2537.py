"""Compressed (ZCash) <-> EIP-2537 uncompressed point encodings.

EIP-2537 encodes a base-field element as 64 bytes: 16 zero bytes then the 48-byte big-endian value,
which must be < p. A G1 point is x || y (128 bytes); a G2 point is x.c0 || x.c1 || y.c0 || y.c1
(256 bytes); the point at infinity is all zeros. The compressed form (48 / 96 bytes) carries x and
three flag bits in the top of the first byte: compression (0x80), infinity (0x40) and the sign of
y (0x20: y is the larger of the two roots; for G2 compared on c1, or on c0 when c1 is 0).

This module does only the encoding and the curve equation; subgroup membership is checked by the
backend that parses the compressed result.
"""

from __future__ import annotations

from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381 import is_inf, normalize

from protocol.bls.errors import BLSError

P = int("1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F624"
        "1EABFFFEB153FFFFB9FEFFFFFFFFAAAB", 16)
FP_BYTES = 64
G1_BYTES = 2 * FP_BYTES
G2_BYTES = 4 * FP_BYTES
_B1 = FQ(4)
_B2 = FQ2([4, 4])


def _fp(value: int) -> bytes:
    return value.to_bytes(FP_BYTES, "big")


def _read_fp(data: bytes, offset: int) -> int:
    chunk = data[offset:offset + FP_BYTES]
    if any(chunk[:16]):
        raise BLSError("EIP-2537 field element: the top 16 bytes must be zero")
    value = int.from_bytes(chunk, "big")
    if value >= P:
        raise BLSError("EIP-2537 field element is not below the field modulus")
    return value


def g1_to_eip2537(point: bytes) -> bytes:
    try:
        pt = decompress_G1(int.from_bytes(point, "big"))
    except Exception as exc:  # noqa: BLE001 - py_ecc raises several types
        raise BLSError(f"invalid compressed G1 point: {exc}") from exc
    if is_inf(pt):
        return bytes(G1_BYTES)
    x, y = normalize(pt)
    return _fp(x.n) + _fp(y.n)


def g2_to_eip2537(point: bytes) -> bytes:
    try:
        pt = decompress_G2((int.from_bytes(point[:48], "big"), int.from_bytes(point[48:], "big")))
    except Exception as exc:  # noqa: BLE001
        raise BLSError(f"invalid compressed G2 point: {exc}") from exc
    if is_inf(pt):
        return bytes(G2_BYTES)
    x, y = normalize(pt)
    return _fp(x.coeffs[0]) + _fp(x.coeffs[1]) + _fp(y.coeffs[0]) + _fp(y.coeffs[1])


def g1_from_eip2537(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray) or len(data) != G1_BYTES:
        raise BLSError(f"EIP-2537 G1 point must be {G1_BYTES} bytes")
    x, y = _read_fp(data, 0), _read_fp(data, FP_BYTES)
    if x == 0 and y == 0:
        return bytes([0xC0]) + bytes(47)
    if FQ(y) ** 2 != FQ(x) ** 3 + _B1:
        raise BLSError("EIP-2537 G1 point is not on the curve")
    return compress_G1((FQ(x), FQ(y), FQ(1))).to_bytes(48, "big")


def g2_from_eip2537(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray) or len(data) != G2_BYTES:
        raise BLSError(f"EIP-2537 G2 point must be {G2_BYTES} bytes")
    x0, x1, y0, y1 = (_read_fp(data, i * FP_BYTES) for i in range(4))
    if not any((x0, x1, y0, y1)):
        return bytes([0xC0]) + bytes(95)
    x, y = FQ2([x0, x1]), FQ2([y0, y1])
    if y ** 2 != x ** 3 + _B2:
        raise BLSError("EIP-2537 G2 point is not on the curve")
    z1, z2 = compress_G2((x, y, FQ2.one()))
    return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")
