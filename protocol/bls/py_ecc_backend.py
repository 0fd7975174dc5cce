"""The reference backend: py-ecc, pure Python. Slow (a verification takes ~0.3 s, parsing a G2 point
with its subgroup check ~35 ms); the test oracle the native backends are cross-checked against."""

from __future__ import annotations

from hashlib import sha256

from py_ecc.bls.g2_primitives import (
    G1_to_pubkey,
    G2_to_signature,
    pubkey_to_G1,
    signature_to_G2,
)
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.optimized_bls12_381 import (
    FQ12,
    G1,
    add,
    curve_order,
    final_exponentiate,
    is_inf,
    multiply,
    neg,
    pairing,
)

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


def _in_subgroup(decode):
    def checked(data: bytes):
        point = decode(data)
        if not is_inf(multiply(point, curve_order)):
            raise ValueError("not in the subgroup")
        return point
    return checked


def _g1(data: bytes):
    return parse_point(as_bytes(data, G1_COMPRESSED, "G1 point"), _in_subgroup(pubkey_to_G1),
                       G1_to_pubkey, "G1")


def _g2(data: bytes):
    return parse_point(as_bytes(data, G2_COMPRESSED, "G2 point"),
                       _in_subgroup(signature_to_G2), G2_to_signature, "G2")


class PyEccBackend(Backend):
    name = "py_ecc"

    def sk_to_pk(self, sk: int) -> bytes:
        return G1_to_pubkey(multiply(G1, check_secret(sk)))

    def hash_to_g2(self, msg: bytes, dst: bytes) -> bytes:
        return G2_to_signature(hash_to_G2(check_message(msg), check_dst(dst), sha256))

    def sign(self, sk: int, msg: bytes, dst: bytes) -> bytes:
        sk = check_secret(sk)
        return G2_to_signature(multiply(hash_to_G2(check_message(msg), check_dst(dst), sha256), sk))

    def _pairing_check(self, pk: bytes, msg: bytes, sig: bytes, dst: bytes) -> bool:
        h = hash_to_G2(msg, dst, sha256)
        product = pairing(h, _g1(pk), final_exponentiate=False) * pairing(
            _g2(sig), neg(G1), final_exponentiate=False)
        return final_exponentiate(product) == FQ12.one()

    def g1_add(self, a: bytes, b_: bytes) -> bytes:
        return G1_to_pubkey(add(_g1(a), _g1(b_)))

    def g2_add(self, a: bytes, b_: bytes) -> bytes:
        return G2_to_signature(add(_g2(a), _g2(b_)))

    def g1_mul(self, point: bytes, scalar: int) -> bytes:
        return G1_to_pubkey(multiply(_g1(point), check_scalar(scalar)))

    def g2_mul(self, point: bytes, scalar: int) -> bytes:
        return G2_to_signature(multiply(_g2(point), check_scalar(scalar)))

    def _check_g1(self, data: bytes) -> None:
        _g1(data)

    def _check_g2(self, data: bytes) -> None:
        _g2(data)
