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


def test_py_ecc_agrees_on_verify():
    ref, fast = get_backend("py_ecc"), get_backend("pyblst")
    sk, msg = 0x1234567890ABCDEF, b"guardian"
    sig = fast.sign(sk, msg, DST_GOSSIP)
    assert ref.verify(fast.sk_to_pk(sk), msg, sig, DST_GOSSIP)
    assert not ref.verify(fast.sk_to_pk(sk + 1), msg, sig, DST_GOSSIP)


@pytest.mark.parametrize("name", BACKEND_NAMES)
@pytest.mark.parametrize("pk,sig", [
    (b"", b""), (b"\x00" * 48, b"\x00" * 96), (b"\xc0" + b"\x00" * 47, b"\xc0" + b"\x00" * 95),
    (b"\xff" * 48, b"\xff" * 96), ("not bytes", None), (b"\x80" * 48, b"\x80" * 96),
])
def test_verify_never_raises(name, pk, sig):
    assert get_backend(name).verify(pk, b"m", sig, DST_GOSSIP) is False


def _off_subgroup_g1() -> bytes:
    """A point on E(Fp) outside the order-r subgroup (the cofactor is not 1)."""
    from py_ecc.bls.point_compression import compress_G1
    from py_ecc.fields import optimized_bls12_381_FQ as FQ

    p = eip2537.P
    x = 1
    while True:
        y2 = (x ** 3 + 4) % p
        y = pow(y2, (p + 1) // 4, p)
        if y * y % p == y2:
            return compress_G1((FQ(x), FQ(y), FQ(1))).to_bytes(48, "big")
        x += 1


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_invalid_points_are_refused(name):
    b = get_backend(name)
    off = _off_subgroup_g1()
    assert not b.g1_is_valid(off)
    assert not b.g1_is_valid(b"\x12" * 48)        # no compression flag
    assert not b.g1_is_valid(b"\x80" + b"\xff" * 47)  # x >= p
    assert not b.g2_is_valid(b"\x80" + b"\x00" * 94 + b"\x07")
    assert not b.g1_is_valid(b"\x80" * 47)         # wrong length
    with pytest.raises(BLSError):
        b.g1_to_eip2537(off)
    sig = b.sign(5, b"m", DST_GOSSIP)
    assert b.g2_is_valid(sig) and b.g1_is_valid(b.sk_to_pk(5))


@pytest.mark.parametrize("name", FAST)
def test_eip2537_round_trip_and_refusals(name):
    b = get_backend(name)
    pk, sig = b.sk_to_pk(77), b.sign(77, b"digest", DST_AUTHORIZATION)
    e1, e2 = b.g1_to_eip2537(pk), b.g2_to_eip2537(sig)
    assert len(e1) == 128 and len(e2) == 256
    assert b.g1_from_eip2537(e1) == pk and b.g2_from_eip2537(e2) == sig
    assert b.g1_from_eip2537(bytes(128)) == b.g1_infinity()
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
