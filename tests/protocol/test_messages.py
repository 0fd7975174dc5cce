"""Wire messages: canonical round trips, and every kind of malformed input refused with
MessageError, never another exception."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import messages
from protocol.bls import DST_GOSSIP
from protocol.wire import MessageError

from .conftest import B, make_all, make_report


def _raw(msg) -> dict:
    return msgpack.unpackb(messages.encode(msg), raw=False)


def _pack(raw: dict) -> bytes:
    return msgpack.packb(raw, use_bin_type=True)


def test_round_trip_every_type(net):
    for msg in make_all(net):
        data = messages.encode(msg)
        back = messages.decode(data)
        assert back == msg and messages.encode(back) == data
        assert messages.verify_message_signature(back, net.gset, B)


def test_signature_covers_every_field(net):
    report = make_report(net)
    tampered = messages.Report(**{**report.__dict__, "nonce": 1})
    assert not messages.verify_message_signature(tampered, net.gset, B)
    other = messages.Report(**{**report.__dict__, "guardian": 2})  # claims another sender
    assert not messages.verify_message_signature(other, net.gset, B)


def _mutations(net):
    report, share, proof, beat = make_all(net)
    off_curve = b"\x80" + b"\x00" * 94 + b"\x07"
    r, s, p, h = _raw(report), _raw(share), _raw(proof), _raw(beat)
    yield "truncated", messages.encode(report)[:-3]
    yield "not a map", _pack([1, 2, 3])
    yield "version", _pack({**r, "v": 2})
    yield "type", _pack({**r, "type": "vote"})
    yield "extra field", _pack({**r, "extra": 1})
    yield "missing field", _pack({k: v for k, v in r.items() if k != "nonce"})
    yield "reordered", _pack(dict(reversed(list(r.items()))))
    yield "bool as int", _pack({**r, "nonce": True})
    yield "negative", _pack({**r, "nonce": -1})
    yield "epoch zero", _pack({**r, "key_epoch": 0})
    yield "str for bytes", _pack({**r, "oracle": "0x" + "00" * 20})
    yield "short oracle", _pack({**r, "oracle": b"\x00" * 19})
    yield "action", _pack({**r, "action": 9})
    yield "guardian 0", _pack({**r, "guardian": 0})
    yield "guardian 5000", _pack({**r, "guardian": 5000})
    yield "evidence kind", _pack({**r, "evidence": {**r["evidence"], "kind": 77}})
    yield "evidence extra", _pack({**r, "evidence": {**r["evidence"], "x": 1}})
    yield "evidence detail", _pack({**r, "evidence": {**r["evidence"], "detail": b"\x00" * 1025}})
    yield "observed width", _pack({**r, "evidence": {**r["evidence"], "observed": [b"\x01"]}})
    yield "signature off curve", _pack({**r, "signature": off_curve})
    yield "partial off curve", _pack({**s, "partial": off_curve})
    yield "partial short", _pack({**s, "partial": s["partial"][:-1]})
    yield "signers unsorted", _pack({**p, "signers": [2, 1, 3]})
    yield "signers duplicate", _pack({**p, "signers": [1, 1, 3]})
    yield "signers empty", _pack({**p, "signers": []})
    yield "tx hash", _pack({**p, "tx_hash": b"\x01" * 31})
    yield "heartbeat epoch 0", _pack({**h, "key_epoch": 0})
    yield "oversize", _pack({**h, "head_hash": b"\x00" * 5000})
    yield "huge array header", b"\xdd\xff\xff\xff\xff"
    minimal = messages.encode(beat)
    assert b"\xaahead_block\x64" in minimal
    yield "non-minimal int", minimal.replace(b"\xaahead_block\x64", b"\xaahead_block\xcc\x64", 1)
    yield "trailing bytes", messages.encode(beat) + b"\x00"
    yield "ext type", _pack({**h, "head_hash": msgpack.ExtType(1, b"x")})
    yield "float", _pack({**h, "timestamp": 1.5})
    yield "nested depth", b"\x91" * 5000


def test_malformed_inputs_are_refused(net):
    seen = 0
    for _name, data in _mutations(net):
        with pytest.raises(MessageError):
            messages.decode(data)
        seen += 1
    assert seen == 34


def test_encode_refuses_what_decode_refuses(net):
    report = make_report(net)
    with pytest.raises(MessageError):
        messages.encode(messages.Report(**{**report.__dict__, "guardian": 0}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    try:
        messages.decode(data)
    except MessageError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10_000), value=st.integers(0, 255), cut=st.integers(0, 10_000))
def test_fuzz_mutated_valid_messages(net, position, value, cut):
    for msg in make_all(net):
        data = bytearray(messages.encode(msg))
        data[position % len(data)] = value
        for candidate in (bytes(data), bytes(data[: cut % len(data)])):
            try:
                decoded = messages.decode(candidate)
            except MessageError:
                continue
            # whatever still decodes is canonical and re-encodes to the same bytes
            assert messages.encode(decoded) == candidate


def test_gossip_signature_uses_its_own_domain(net):
    report = make_report(net)
    assert B.verify(net.gset.public_share(1), messages.signing_bytes(report), report.signature,
                    DST_GOSSIP)
