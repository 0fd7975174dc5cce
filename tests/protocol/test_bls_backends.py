"""The three BLS backends agree bit for bit, verify never raises, and bad points are refused."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.bls import (
    BACKEND_NAMES,
    CURVE_ORDER,
    DST_AUTHORIZATION,
    DST_GOSSIP,
    BLSError,
    available_backends,
    eip2537,
    get_backend,
)

FAST = ("pyblst", "arkworks")
secret_keys = st.integers(min_value=1, max_value=CURVE_ORDER - 1)
slow = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_default_is_the_fastest_available():
    assert available_backends() == list(BACKEND_NAMES)
    assert get_backend().name == "pyblst"
    with pytest.raises(BLSError, match="unknown BLS backend"):
        get_backend("openssl")


@slow
@given(sk=secret_keys, msg=st.binary(max_size=64))
def test_backends_give_identical_keys_and_signatures(sk, msg):
    outputs = {(get_backend(n).sk_to_pk(sk), get_backend(n).sign(sk, msg, DST_AUTHORIZATION))
               for n in BACKEND_NAMES}
    assert len(outputs) == 1


@settings(max_examples=25, deadline=None)
@given(sk=secret_keys, msg=st.binary(max_size=64), flip=st.integers(0, 95 * 8 - 1))
def test_fast_backends_agree_on_verify(sk, msg, flip):
    pk = get_backend("pyblst").sk_to_pk(sk)
    sig = get_backend("pyblst").sign(sk, msg, DST_GOSSIP)
    bad = bytearray(sig)
    bad[1 + flip // 8] ^= 1 << (flip % 8)
    for name in FAST:
        b = get_backend(name)
        assert b.verify(pk, msg, sig, DST_GOSSIP)
        assert not b.verify(pk, msg + b"x", sig, DST_GOSSIP)
        assert not b.verify(pk, msg, sig, DST_AUTHORIZATION)  # domain separation
        assert not b.verify(pk, msg, bytes(bad), DST_GOSSIP)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sk=secret_keys, msg=st.binary(max_size=64))
def test_all_backends_agree_on_verify(sk, msg):
    """py_ecc is slow (~0.3 s per verification), so few examples; it must accept what the native
    backends sign and refuse what they refuse."""
    fast = get_backend("pyblst")
    pk, sig = fast.sk_to_pk(sk), fast.sign(sk, msg, DST_GOSSIP)
    other_pk = fast.sk_to_pk(sk + 1 if sk < CURVE_ORDER - 1 else 1)
    for name in BACKEND_NAMES:
        b = get_backend(name)
        assert b.verify(pk, msg, sig, DST_GOSSIP) is True
        assert b.verify(other_pk, msg, sig, DST_GOSSIP) is False


@pytest.mark.parametrize("name", BACKEND_NAMES)
@pytest.mark.parametrize("pk,sig", [
    (b"", b""), (b"\x00" * 48, b"\x00" * 96), (b"\xc0" + b"\x00" * 47, b"\xc0" + b"\x00" * 95),
    (b"\xff" * 48, b"\xff" * 96), ("not bytes", None), (b"\x80" * 48, b"\x80" * 96),
], ids=["empty", "zeros", "infinity", "ones", "not-bytes", "no-point"])
def test_verify_never_raises(name, pk, sig):
    assert get_backend(name).verify(pk, b"m", sig, DST_GOSSIP) is False


def _off_subgroup_g1() -> bytes:
    """A point on E(Fp) outside the order-r subgroup (the cofactor is not 1)."""
    x = 1
    while (y := eip2537.fp_sqrt((x ** 3 + 4) % eip2537.P)) is None:
        x += 1
    return eip2537.g1_compress(x, y)


def _off_subgroup_g2() -> bytes:
    """A point on E'(Fp2) outside the order-r subgroup."""
    x = (1, 1)
    while (y := eip2537.fp2_sqrt(eip2537._g2_rhs(x))) is None:
        x = (x[0] + 1, 1)
    return eip2537.g2_compress(x, y)


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_invalid_points_are_refused(name):
    b = get_backend(name)
    off1, off2 = _off_subgroup_g1(), _off_subgroup_g2()
    assert eip2537.g1_decompress(off1) and eip2537.g2_decompress(off2)  # on the curves
    assert not b.g1_is_valid(off1)
    assert not b.g2_is_valid(off2)
    assert not b.g1_is_valid(b"\x12" * 48)            # no compression flag
    assert not b.g1_is_valid(b"\x80" + b"\xff" * 47)  # x >= p
    assert not b.g1_is_valid(b"\xe0" + b"\x00" * 47)  # infinity with the sign bit
    assert not b.g1_is_valid(b"\xc0" + b"\x00" * 46 + b"\x01")  # infinity with x != 0
    assert not b.g2_is_valid(b"\x80" + b"\x00" * 94 + b"\x07")
    assert not b.g1_is_valid(b"\x80" * 47)             # wrong length
    assert not b.g2_is_valid(b.sign(5, b"m", DST_GOSSIP) + b"\x00")
    assert not b.g1_is_valid(bytearray(47)) and not b.g2_is_valid(None)
    for call in (lambda: b.g1_to_eip2537(off1), lambda: b.g2_to_eip2537(off2),
                 lambda: b.g1_add(off1, off1), lambda: b.g2_mul(off2, 3),
                 lambda: b.g1_msm([b"\x80" * 47], [1]), lambda: b.aggregate([off2]),
                 lambda: b.g1_mul(b.sk_to_pk(5), "3"), lambda: b.g2_add(b"", b"")):
        with pytest.raises(BLSError):
            call()
    sig = b.sign(5, b"m", DST_GOSSIP)
    assert b.g2_is_valid(sig) and b.g1_is_valid(b.sk_to_pk(5))
    assert b.g1_is_valid(b.g1_infinity()) and b.g2_is_valid(b.g2_infinity())
    assert not b.verify(b.g1_infinity(), b"m", b.g2_infinity(), DST_GOSSIP)


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_eip2537_refuses_points_outside_the_subgroup(name):
    b = get_backend(name)
    (x, y) = eip2537.g1_decompress(_off_subgroup_g1())
    with pytest.raises(BLSError, match="subgroup"):
        b.g1_from_eip2537(x.to_bytes(64, "big") + y.to_bytes(64, "big"))
    (x0, x1), (y0, y1) = eip2537.g2_decompress(_off_subgroup_g2())
    with pytest.raises(BLSError, match="subgroup"):
        b.g2_from_eip2537(b"".join(v.to_bytes(64, "big") for v in (x0, x1, y0, y1)))


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_eip2537_round_trip_and_refusals(name):
    b = get_backend(name)
    pk, sig = b.sk_to_pk(77), b.sign(77, b"digest", DST_AUTHORIZATION)
    e1, e2 = b.g1_to_eip2537(pk), b.g2_to_eip2537(sig)
    assert len(e1) == 128 and len(e2) == 256
    assert b.g1_from_eip2537(e1) == pk and b.g2_from_eip2537(e2) == sig
    assert b.g1_from_eip2537(bytes(128)) == b.g1_infinity()
    assert b.g2_from_eip2537(bytes(256)) == b.g2_infinity()
    assert b.g1_to_eip2537(b.g1_infinity()) == bytes(128)
    assert b.g2_to_eip2537(b.g2_infinity()) == bytes(256)
    with pytest.raises(BLSError, match="top 16 bytes"):
        b.g1_from_eip2537(b"\x01" + e1[1:])
    too_big = bytes(16) + eip2537.P.to_bytes(48, "big") + e1[64:]
    with pytest.raises(BLSError, match="modulus"):
        b.g1_from_eip2537(too_big)
    off_curve = e1[:127] + bytes([e1[127] ^ 1])
    with pytest.raises(BLSError, match="not on the curve"):
        b.g1_from_eip2537(off_curve)
    with pytest.raises(BLSError, match="not on the curve"):
        b.g2_from_eip2537(e2[:255] + bytes([e2[255] ^ 1]))
    with pytest.raises(BLSError, match="256 bytes"):
        b.g2_from_eip2537(e2[:-1])
    with pytest.raises(BLSError, match="128 bytes"):
        b.g1_from_eip2537(e1 + b"\x00")


@settings(max_examples=40, deadline=None)
@given(sk=secret_keys, msg=st.binary(max_size=32))
def test_eip2537_conversions_agree_across_backends_and_with_py_ecc(sk, msg):
    """The integer arithmetic, arkworks' native coordinates and py_ecc's decompression give the
    same EIP-2537 bytes, and each backend converts back to the same compressed point."""
    from py_ecc.bls.g2_primitives import pubkey_to_G1, signature_to_G2
    from py_ecc.optimized_bls12_381 import normalize

    ref = get_backend("pyblst")
    pk, sig = ref.sk_to_pk(sk), ref.hash_to_g2(msg, DST_GOSSIP)
    e1, e2 = eip2537.g1_to_eip2537(pk), eip2537.g2_to_eip2537(sig)
    x, y = normalize(pubkey_to_G1(pk))
    assert e1 == x.n.to_bytes(64, "big") + y.n.to_bytes(64, "big")
    x2, y2 = normalize(signature_to_G2(sig))
    assert e2 == b"".join(c.to_bytes(64, "big") for c in (*x2.coeffs, *y2.coeffs))
    for name in FAST:
        b = get_backend(name)
        assert b.g1_to_eip2537(pk) == e1 and b.g2_to_eip2537(sig) == e2
        assert b.g1_from_eip2537(e1) == pk and b.g2_from_eip2537(e2) == sig


@settings(max_examples=200, deadline=None)
@given(a0=st.integers(0, eip2537.P - 1), a1=st.integers(0, eip2537.P - 1))
def test_fp2_square_roots(a0, a1):
    square = eip2537.fp2_mul((a0, a1), (a0, a1))
    root = eip2537.fp2_sqrt(square)
    assert root is not None and eip2537.fp2_mul(root, root) == square
    nonresidue = eip2537.fp2_mul(square, (1, 1))  # 1 + i is not a square in Fp2
    assert (a0, a1) == (0, 0) or eip2537.fp2_sqrt(nonresidue) is None


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_group_operations_agree(name):
    b, ref = get_backend(name), get_backend("pyblst")
    p, q = ref.sk_to_pk(3), ref.sk_to_pk(4)
    assert b.g1_add(p, q) == ref.sk_to_pk(7)
    assert b.g1_mul(p, 5) == ref.sk_to_pk(15)
    assert b.g1_msm([p, q], [2, 3]) == ref.sk_to_pk(18)
    h = ref.hash_to_g2(b"x", DST_GOSSIP)
    assert b.g2_msm([h, h], [2, 5]) == b.g2_mul(h, 7) == ref.g2_mul(h, 7)
    assert b.aggregate([ref.sign(2, b"x", DST_GOSSIP), ref.sign(3, b"x", DST_GOSSIP)]) == \
        ref.sign(5, b"x", DST_GOSSIP)


@pytest.mark.parametrize("name", BACKEND_NAMES)
@pytest.mark.parametrize("bad", [0, -1, CURVE_ORDER, True, "7"])
def test_secret_out_of_range(name, bad):
    with pytest.raises(BLSError):
        get_backend(name).sk_to_pk(bad)


@pytest.mark.parametrize("name", BACKEND_NAMES)
@pytest.mark.parametrize("msg,dst", [("text", DST_GOSSIP), (5, DST_GOSSIP), (b"m", b""),
                                     (b"m", b"D" * 256), (b"m", "dst")])
def test_messages_and_tags_are_typed(name, msg, dst):
    """Messages are bytes (an int would silently become zero bytes), tags 1..255 bytes (RFC 9380
    3.1); sign and hash refuse the rest with BLSError, verify says False."""
    b = get_backend(name)
    with pytest.raises(BLSError):
        b.hash_to_g2(msg, dst)
    with pytest.raises(BLSError):
        b.sign(7, msg, dst)
    assert b.verify(b.sk_to_pk(7), msg, b.sign(7, b"m", DST_GOSSIP), dst) is False


def test_longest_tag_is_accepted_and_agrees():
    dst = b"T" * 255
    assert len({get_backend(n).hash_to_g2(b"m", dst) for n in BACKEND_NAMES}) == 1
