"""ReportRequest (issue 24): "send me the report of this digest". Its wire form and its gossip
rules: current epoch, clock skew, at most one request per REQUEST_INTERVAL_MS per guardian, then
the signature; malformed or forged requests are REJECTed with a typed reason, never raised."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import messages
from protocol.gossip_rules import (
    REQUEST_INTERVAL_MS,
    Reason,
    ValidationContext,
    Verdict,
    validate_bytes,
)
from protocol.wire import MessageError

from .conftest import ORACLE, B

NOW_MS = 1_700_000_000_000


def make_request(net, guardian: int = 2, **changes) -> messages.ReportRequest:
    fields = dict(digest=b"\x33" * 32, timestamp=NOW_MS, key_epoch=1, guardian=guardian,
                  signature=b"")
    fields.update(changes)
    return messages.sign_message(messages.ReportRequest(**fields), net.sk(guardian), B)


def verdict(net, msg, **changes):
    data = msg if isinstance(msg, bytes) else messages.encode(msg)
    base = dict(guardian_set=net.gset, chain_id=31337, oracle=ORACLE, head_block=100,
                now=NOW_MS // 1000)
    base.update(changes)
    return validate_bytes(data, ValidationContext(**base), B)[:2]


def test_a_request_round_trips_and_is_accepted(net):
    request = make_request(net)
    data = messages.encode(request)
    assert messages.decode(data, B) == request
    assert verdict(net, request)[0] is Verdict.ACCEPT


@pytest.mark.parametrize("changes,reason", [
    (dict(key_epoch=2), Reason.OTHER_EPOCH),  # another epoch's digest: dropped, not blamed
    (dict(timestamp=NOW_MS - 3_600_000), Reason.CLOCK_SKEW),  # an old request replayed
    (dict(timestamp=NOW_MS + 3_600_000), Reason.CLOCK_SKEW),
])
def test_requests_out_of_time_or_epoch_are_ignored(net, changes, reason):
    v, outcome = verdict(net, make_request(net, **changes))
    assert v is Verdict.IGNORE and outcome.reason is reason


def test_one_guardian_gets_at_most_one_request_per_interval(net):
    last = {2: NOW_MS}
    v, outcome = verdict(net, make_request(net, timestamp=NOW_MS + REQUEST_INTERVAL_MS - 1),
                         last_request=last)
    assert v is Verdict.IGNORE and outcome.reason is Reason.TOO_FREQUENT
    assert verdict(net, make_request(net, timestamp=NOW_MS + REQUEST_INTERVAL_MS),
                   last_request=last)[0] is Verdict.ACCEPT
    # another guardian's budget is its own
    assert verdict(net, make_request(net, guardian=3), last_request=last)[0] is Verdict.ACCEPT


def test_forged_and_non_member_requests_are_rejected(net):
    forged = dataclasses.replace(make_request(net), guardian=3)
    v, outcome = verdict(net, forged)
    assert v is Verdict.REJECT and outcome.reason is Reason.BAD_SIGNATURE
    stranger = dataclasses.replace(make_request(net), guardian=9)
    v, outcome = verdict(net, stranger)
    assert v is Verdict.REJECT and outcome.reason is Reason.NOT_MEMBER


@pytest.mark.parametrize("mutate,expected", [
    (lambda raw: raw.update(digest=b"\x33" * 31), "digest"),
    (lambda raw: raw.update(timestamp=True), "timestamp"),
    (lambda raw: raw.update(timestamp=-1), "timestamp"),
    (lambda raw: raw.update(extra=1), "unknown field"),
    (lambda raw: raw.pop("key_epoch"), "key_epoch"),
    (lambda raw: raw.update(guardian=0), "guardian"),
])
def test_malformed_requests_raise_only_message_error(net, mutate, expected):
    raw = msgpack.unpackb(messages.encode(make_request(net)), raw=False)
    mutate(raw)
    data = msgpack.packb(raw, use_bin_type=True)
    with pytest.raises(MessageError, match=expected):
        messages.decode(data, B)
    v, outcome = verdict(net, data)
    assert v is Verdict.REJECT and outcome.reason is Reason.MALFORMED


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10_000), value=st.integers(0, 255), cut=st.integers(0, 10_000))
def test_mutated_requests_never_raise_anything_else(net, position, value, cut):
    data = bytearray(messages.encode(make_request(net)))
    data[position % len(data)] = value
    for candidate in (bytes(data), bytes(data[: cut % len(data)])):
        v, _, msg = validate_bytes(candidate, ValidationContext(
            guardian_set=net.gset, chain_id=31337, oracle=ORACLE, head_block=100,
            now=NOW_MS // 1000), B)
        assert v in (Verdict.ACCEPT, Verdict.IGNORE, Verdict.REJECT)
        if msg is not None:
            assert messages.encode(msg) == candidate
