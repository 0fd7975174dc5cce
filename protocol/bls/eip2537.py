"""Compressed (ZCash) <-> EIP-2537 uncompressed point encodings, in plain integer arithmetic.

EIP-2537 encodes a base-field element as 64 bytes: 16 zero bytes then the 48-byte big-endian value,
which must be < p. A G1 point is x || y (128 bytes); a G2 point is x.c0 || x.c1 || y.c0 || y.c1
(256 bytes); the point at infinity is all zeros.

The compressed form is 48 bytes (G1: x) or 96 bytes (G2: x.c1 || x.c0) with three flag bits in the
top of the first byte: 0x80 compression (always set), 0x40 infinity (then every other bit is zero),
0x20 the sign of y: set iff y is the lexicographically larger of {y, -y}. For Fp that means
y > (p - 1) / 2; for Fp2 = Fp[i] / (i^2 + 1) compare y.c1 that way, or y.c0 when y.c1 is zero.

Curves: G1 is y^2 = x^3 + 4 over Fp, G2 is y^2 = x^3 + 4(1 + i) over Fp2. Since p = 3 mod 4,
a square root in Fp is a^((p+1)/4); in Fp2 it is reduced to Fp square roots through the norm.

This module does only the encoding and the curve equation, with no library behind it, so that
converting costs microseconds whichever backend is in use. Subgroup membership and canonical form
are checked by the backend that parses the compressed point (`Backend.g1_to_eip2537` and friends).
"""

from __future__ import annotations

from protocol.bls.errors import BLSError

P = int("1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F624"
        "1EABFFFEB153FFFFB9FEFFFFFFFFAAAB", 16)
FP_BYTES = 64
G1_BYTES = 2 * FP_BYTES
G2_BYTES = 4 * FP_BYTES
G1_COMPRESSED = 48
G2_COMPRESSED = 96

_HALF = (P - 1) // 2
_SQRT_EXP = (P + 1) // 4
_INV2 = (P + 1) // 2
_FLAG_COMPRESSED, _FLAG_INFINITY, _FLAG_SIGN = 0x80, 0x40, 0x20
G1_INFINITY = bytes([_FLAG_COMPRESSED | _FLAG_INFINITY]) + bytes(G1_COMPRESSED - 1)
G2_INFINITY = bytes([_FLAG_COMPRESSED | _FLAG_INFINITY]) + bytes(G2_COMPRESSED - 1)

Fp2 = tuple[int, int]


# field arithmetic ----------------------------------------------------------------------------
def fp_sqrt(a: int) -> int | None:
    """A square root of a in Fp, or None if a is not a square."""
    root = pow(a, _SQRT_EXP, P)
    return root if root * root % P == a % P else None


def fp2_mul(a: Fp2, b: Fp2) -> Fp2:
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def fp2_sqrt(a: Fp2) -> Fp2 | None:
    """A square root of a = a0 + a1*i in Fp2, or None if a is not a square.

    If x = x0 + x1*i squares to a then x0^2 - x1^2 = a0 and 2*x0*x1 = a1, and the norm
    n = sqrt(a0^2 + a1^2) gives x0^2 = (a0 +- n) / 2; then x1 = a1 / (2*x0)."""
    a0, a1 = a[0] % P, a[1] % P
    if a1 == 0:
        root = fp_sqrt(a0)
        if root is not None:
            return (root, 0)
        root = fp_sqrt(-a0 % P)  # -1 is not a square in Fp, so exactly one of a0, -a0 is
        return (0, root) if root is not None else None
    norm = fp_sqrt((a0 * a0 + a1 * a1) % P)
    if norm is None:
        return None
    for half in ((a0 + norm) * _INV2 % P, (a0 - norm) * _INV2 % P):
        x0 = fp_sqrt(half)
        if x0:  # x0 != 0 here, since a1 != 0
            x = (x0, a1 * pow(2 * x0, -1, P) % P)
            if fp2_mul(x, x) == (a0, a1):
                return x
    return None


def _g1_rhs(x: int) -> int:
    return (x * x * x + 4) % P


def _g2_rhs(x: Fp2) -> Fp2:
    x3 = fp2_mul(fp2_mul(x, x), x)
    return ((x3[0] + 4) % P, (x3[1] + 4) % P)


def _fp_sign(y: int) -> bool:
    return y > _HALF


def _fp2_sign(y: Fp2) -> bool:
    return y[1] > _HALF if y[1] else y[0] > _HALF


# compressed form ------------------------------------------------------------------------------
def _split_flags(data: bytes, size: int, what: str) -> tuple[bool, bool, bytes]:
    if not isinstance(data, bytes | bytearray) or len(data) != size:
        raise BLSError(f"compressed {what} point must be {size} bytes")
    flags = data[0]
    if not flags & _FLAG_COMPRESSED:
        raise BLSError(f"compressed {what} point lacks the compression flag")
    body = bytes([flags & 0x1F]) + bytes(data[1:])
    infinity, sign = bool(flags & _FLAG_INFINITY), bool(flags & _FLAG_SIGN)
    if infinity and (sign or any(body)):
        raise BLSError(f"non-canonical encoding of the {what} point at infinity")
    return infinity, sign, body


def _coordinate(chunk: bytes, what: str) -> int:
    value = int.from_bytes(chunk, "big")
    if value >= P:
        raise BLSError(f"{what} x coordinate is not below the field modulus")
    return value


def g1_decompress(data: bytes) -> tuple[int, int] | None:
    """(x, y) of a compressed G1 point, or None for the point at infinity. Checks the curve
    equation, not the subgroup."""
    infinity, sign, body = _split_flags(data, G1_COMPRESSED, "G1")
    if infinity:
        return None
    x = _coordinate(body, "G1")
    y = fp_sqrt(_g1_rhs(x))
    if y is None:
        raise BLSError("compressed G1 point is not on the curve")
    if _fp_sign(y) != sign:
        y = -y % P
    return x, y


def g2_decompress(data: bytes) -> tuple[Fp2, Fp2] | None:
    """((x.c0, x.c1), (y.c0, y.c1)) of a compressed G2 point, or None for infinity. Checks the
    curve equation, not the subgroup."""
    infinity, sign, body = _split_flags(data, G2_COMPRESSED, "G2")
    if infinity:
        return None
    x = (_coordinate(body[48:], "G2"), _coordinate(body[:48], "G2"))
    y = fp2_sqrt(_g2_rhs(x))
    if y is None:
        raise BLSError("compressed G2 point is not on the curve")
    if _fp2_sign(y) != sign:
        y = (-y[0] % P, -y[1] % P)
    return x, y


def g1_compress(x: int, y: int) -> bytes:
    out = bytearray(x.to_bytes(G1_COMPRESSED, "big"))
    out[0] |= _FLAG_COMPRESSED | (_FLAG_SIGN if _fp_sign(y) else 0)
    return bytes(out)


def g2_compress(x: Fp2, y: Fp2) -> bytes:
    out = bytearray(x[1].to_bytes(48, "big") + x[0].to_bytes(48, "big"))
    out[0] |= _FLAG_COMPRESSED | (_FLAG_SIGN if _fp2_sign(y) else 0)
    return bytes(out)


# EIP-2537 form ---------------------------------------------------------------------------------
def _fp(value: int) -> bytes:
    return value.to_bytes(FP_BYTES, "big")


def read_fp(data: bytes, offset: int) -> int:
    """One EIP-2537 field element: 16 zero bytes, then a 48-byte big-endian value below p."""
    chunk = data[offset:offset + FP_BYTES]
    if any(chunk[:16]):
        raise BLSError("EIP-2537 field element: the top 16 bytes must be zero")
    value = int.from_bytes(chunk, "big")
    if value >= P:
        raise BLSError("EIP-2537 field element is not below the field modulus")
    return value


def g1_to_eip2537(point: bytes) -> bytes:
    xy = g1_decompress(point)
    if xy is None:
        return bytes(G1_BYTES)
    return _fp(xy[0]) + _fp(xy[1])


def g2_to_eip2537(point: bytes) -> bytes:
    xy = g2_decompress(point)
    if xy is None:
        return bytes(G2_BYTES)
    (x0, x1), (y0, y1) = xy
    return _fp(x0) + _fp(x1) + _fp(y0) + _fp(y1)


def g1_from_eip2537(data: bytes) -> bytes:
    """The compressed form of an EIP-2537 G1 point; checks lengths, field ranges and the curve
    equation (not the subgroup)."""
    if not isinstance(data, bytes | bytearray) or len(data) != G1_BYTES:
        raise BLSError(f"EIP-2537 G1 point must be {G1_BYTES} bytes")
    x, y = read_fp(data, 0), read_fp(data, FP_BYTES)
    if x == 0 and y == 0:
        return G1_INFINITY
    if y * y % P != _g1_rhs(x):
        raise BLSError("EIP-2537 G1 point is not on the curve")
    return g1_compress(x, y)


def g2_from_eip2537(data: bytes) -> bytes:
    """The compressed form of an EIP-2537 G2 point; checks lengths, field ranges and the curve
    equation (not the subgroup)."""
    if not isinstance(data, bytes | bytearray) or len(data) != G2_BYTES:
        raise BLSError(f"EIP-2537 G2 point must be {G2_BYTES} bytes")
    x0, x1, y0, y1 = (read_fp(data, i * FP_BYTES) for i in range(4))
    if not any((x0, x1, y0, y1)):
        return G2_INFINITY
    if fp2_mul((y0, y1), (y0, y1)) != _g2_rhs((x0, x1)):
        raise BLSError("EIP-2537 G2 point is not on the curve")
    return g2_compress((x0, x1), (y0, y1))
