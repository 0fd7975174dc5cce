"""Pending evidence (protocol.pending): the optional `pending` map of the evidence encoding, bound
by the evidence hash; evidence without it encodes exactly as before; malformed maps are refused
with MessageError; the fee race arithmetic."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from protocol import messages
from protocol.detection import EvidenceKind
from protocol.evidence import Evidence, encode_evidence, evidence_hash, from_fields, to_fields
from protocol.pending import (
    MAX_RAW_TX_BYTES,
    MAX_SIM_SECONDS,
    PendingContext,
    base_block,
    next_block_time,
    race_fee_cap,
    race_tip,
    sim_time_ok,
)
from protocol.wire import MessageError

from .conftest import make_report

CTX = PendingContext(b"\x02\xf8" + b"\x11" * 100, b"\x22" * 32, 1_700_000_012)
EV = Evidence(EvidenceKind.BALANCE_DROP, b"\x01" * 32, 99, 100, b"\x07" * 20, (10, 1),
              b"\x08" * 20)


def test_mined_evidence_encodes_as_before():
    assert "pending" not in msgpack.unpackb(encode_evidence(EV), raw=False)
    assert from_fields(to_fields(EV)) == EV


def test_pending_round_trips_and_is_bound_by_the_hash():
    ev = dataclasses.replace(EV, pending=CTX)
    assert from_fields(msgpack.unpackb(encode_evidence(ev), raw=False)) == ev
    assert evidence_hash(ev) != evidence_hash(EV)
    for other in (dataclasses.replace(CTX, raw_tx=CTX.raw_tx + b"\x00"),
                  dataclasses.replace(CTX, base_hash=b"\x23" * 32),
                  dataclasses.replace(CTX, sim_time=CTX.sim_time + 1)):
        assert evidence_hash(dataclasses.replace(EV, pending=other)) != evidence_hash(ev)


def test_a_report_with_pending_evidence_fits_a_gossip_message(net):
    big = PendingContext(b"\x02" * MAX_RAW_TX_BYTES, b"\x22" * 32, 2**63)
    report = make_report(net, evidence=dataclasses.replace(EV, pending=big), observed_block=100)
    assert messages.decode(messages.encode(report)) == report


@pytest.mark.parametrize("pending", [
    "not a map", {}, {"raw_tx": b"", "base_hash": b"\x22" * 32, "sim_time": 1},
    {"raw_tx": b"\x01" * (MAX_RAW_TX_BYTES + 1), "base_hash": b"\x22" * 32, "sim_time": 1},
    {"raw_tx": b"\x01", "base_hash": b"\x22" * 31, "sim_time": 1},
    {"raw_tx": b"\x01", "base_hash": b"\x22" * 32, "sim_time": -1},
    {"raw_tx": b"\x01", "base_hash": b"\x22" * 32, "sim_time": True},
    {"base_hash": b"\x22" * 32, "raw_tx": b"\x01", "sim_time": 1},
    {"raw_tx": b"\x01", "base_hash": b"\x22" * 32, "sim_time": 1, "extra": 1},
])
def test_malformed_pending_maps_are_refused(pending):
    fields = {**to_fields(EV), "pending": pending}
    with pytest.raises(MessageError):
        from_fields(fields)


def test_simulated_block_environment():
    assert base_block(100) == 99
    # the next block follows the chain's own last interval, within 1..MAX_SIM_SECONDS
    assert next_block_time(1000, 998) == 1002
    assert next_block_time(1000, 1000) == 1001  # same-second blocks (instant mining)
    assert next_block_time(1000, 10) == 1000 + MAX_SIM_SECONDS  # after a long stall
    assert sim_time_ok(1000, next_block_time(1000, 10))
    assert sim_time_ok(1000, 1001) and sim_time_ok(1000, 1060)
    assert not sim_time_ok(1000, 1000) and not sim_time_ok(1000, 1061)


def test_race_tip_outbids_by_the_margin_within_the_cap():
    gwei = 10**9
    assert race_tip(2 * gwei, gwei, 100 * gwei, 0) == (3 * gwei, False)
    assert race_tip(0, gwei, 100 * gwei, 2 * gwei) == (2 * gwei, False)
    assert race_tip(200 * gwei, gwei, 100 * gwei, 0) == (100 * gwei, True)


def test_race_fee_cap_outbids_the_exploits_fee_cap_within_the_operators():
    gwei = 10**9
    assert race_fee_cap(100 * gwei, gwei, 1000 * gwei, 3 * gwei) == (101 * gwei, False)
    # never below the tip (a fee cap under the tip is an invalid transaction)
    assert race_fee_cap(1 * gwei, gwei, 1000 * gwei, 3 * gwei) == (3 * gwei, False)
    assert race_fee_cap(5000 * gwei, gwei, 1000 * gwei, 3 * gwei) == (1000 * gwei, True)
