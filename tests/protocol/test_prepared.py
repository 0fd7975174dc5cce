"""PREPARED evidence, the pure parts: the bytecode scanner never reads PUSH data as opcodes, the
filter keeps code that names a registered address (PUSH20, immutable PUSH32, a stored word) or a
flash lender, the dispatcher's selectors are found (and a binary search's pivots are not), the
probe encoding is canonical and refuses malformed input by name, and the broken rule's own check
judges a probe."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from protocol.detection import (
    DetectionParams,
    EvidenceKind,
    Finding,
    InvariantCall,
    check_evidence,
    choose_action,
)
from protocol.digest import Action
from protocol.evidence import Evidence
from protocol.prepared import (
    FLASH_SELECTORS,
    PreparedError,
    Probe,
    address_operands,
    decode_probe,
    encode_probe,
    mentions,
    opcodes,
    probe_calls,
    selectors,
)
from protocol.wire import pack

POOL, TOKEN, OTHER = b"\x11" * 20, b"\x22" * 20, b"\x33" * 20
PARAMS = DetectionParams(monitored=(POOL,), tokens=(TOKEN,), outflow_limit_bps=1500,
                         window_blocks=20, balance_drop_bps=1000,
                         invariants=(InvariantCall(POOL, bytes.fromhex("5ce23950")),))
PROBE = Probe(rule=EvidenceKind.BALANCE_DROP, rule_detail=POOL, contract=b"\x44" * 20,
              creation=b"\x55" * 32, pending=False, sender=b"\x66" * 20, value=0,
              calldata=bytes.fromhex("3fc8cef3") + (5).to_bytes(32, "big"),
              base_hash=b"\x77" * 32, sim_time=1_000)


def _evidence(probe=PROBE, observed=(1000, 100), block_from=10, block_to=11, subject=TOKEN):
    return Evidence(kind=EvidenceKind.PREPARED, protocol_id=b"\x01" * 32, block_from=block_from,
                    block_to=block_to, subject=subject, observed=observed,
                    detail=encode_probe(probe))


def test_push_data_is_never_scanned_as_opcodes():
    # PUSH2 0x7311 then PUSH20 <POOL>: the 0x73 inside PUSH2's data is not a PUSH20
    code = bytes([0x61, 0x73, 0x11]) + bytes([0x73]) + POOL + bytes([0x00])
    assert [op for _, op, _ in opcodes(code)] == [0x61, 0x73, 0x00]
    assert address_operands(code) == {POOL}
    hidden = bytes([0x7F]) + b"\x00" + bytes([0x73]) + OTHER + b"\x00" * 10  # PUSH32 data
    assert OTHER not in address_operands(hidden)
    assert list(opcodes(bytes([0x73, 0x01]))) == [(0, 0x73, b"\x01")]  # cut short: no crash


def test_filter_keeps_code_naming_a_registered_address_or_a_flash_lender():
    registered = {POOL, TOKEN}
    assert mentions(bytes([0x73]) + POOL, registered) == {POOL}
    immutable = bytes([0x7F]) + b"\x00" * 12 + TOKEN  # solc's immutable address
    assert mentions(immutable, registered) == {TOKEN}
    assert mentions(b"\x00", registered, stored=[b"\x00" * 12 + POOL]) == {POOL}
    assert mentions(bytes([0x73]) + OTHER, registered) == set()
    assert mentions(b"", registered) == set()
    balancer = bytes.fromhex("ba12222222228d8ba445958a75a0704d566bf2c8")
    assert mentions(bytes([0x73]) + balancer, registered) == {balancer}
    by_selector = bytes([0x63]) + next(iter(FLASH_SELECTORS))
    assert mentions(by_selector, registered) == {b"\x00" * 20}


def test_selectors_of_a_real_dispatcher():
    artifact = Path(__file__).resolve().parents[2] / "node" / "artifacts" / "Attacker.json"
    code = bytes.fromhex(json.loads(artifact.read_text())["deployedBytecode"][2:])
    found = selectors(code, 16)
    expected = {keccak(s.encode())[:4] for s in (
        "step(uint256)", "withdraw()", "owner()", "pool()", "amm()", "usd()", "weth()",
        "steps()")}
    assert set(found) == expected
    assert len(selectors(code, 3)) == 3
    # PUSH4 x GT (a binary search pivot) is not a dispatch; PUSH4 x DUP2 EQ PUSH2 JUMPI is
    pivot = bytes([0x63]) + b"\xaa" * 4 + bytes([0x11, 0x61, 0, 9, 0x57])
    vyper = bytes([0x63]) + b"\xbb" * 4 + bytes([0x81, 0x18, 0x61, 0, 9, 0x57])
    assert selectors(pivot + vyper, 8) == [b"\xbb" * 4]


def test_probe_shapes():
    calls = probe_calls([b"\xaa" * 4], [7, 7], [POOL])
    assert calls == [b"", b"\xaa" * 4, b"\xaa" * 4 + (7).to_bytes(32, "big"),
                     b"\xaa" * 4 + b"\x00" * 12 + POOL]


def test_probe_encoding_is_canonical_and_malformed_input_is_named():
    assert decode_probe(encode_probe(PROBE)) == PROBE
    fields = dict(rule=2, rule_detail=POOL, contract=b"\x44" * 20, creation=b"\x55" * 32,
                  pending=False, sender=b"\x66" * 20, value=(0).to_bytes(32, "big"),
                  calldata=b"", base_hash=b"\x77" * 32, sim_time=1)
    assert decode_probe(pack(fields)).rule == 2
    bad = {
        "contract": {**fields, "contract": b"\x44" * 19},
        "pending": {**fields, "pending": 1},
        "calldata": {**fields, "calldata": b"\x00" * 200},
        "value": {**fields, "value": b"\x01"},
        "prepared": {k: v for k, v in fields.items() if k != "sim_time"},
    }
    for what, raw in bad.items():
        with pytest.raises(PreparedError, match=what):
            decode_probe(pack(raw))
    with pytest.raises(PreparedError):
        decode_probe(b"\xc1 not msgpack")
    reordered = dict(reversed(list(fields.items())))
    with pytest.raises(PreparedError):
        decode_probe(pack(reordered))


def test_the_broken_rules_own_check_judges_a_probe():
    verdict = check_evidence(_evidence(), PARAMS)
    assert verdict.finding is Finding.VIOLATION and "probe 0x3fc8cef3" in verdict.reason
    assert check_evidence(_evidence(observed=(1000, 950)), PARAMS).finding is Finding.NO_VIOLATION
    inv = dataclasses.replace(PROBE, rule=EvidenceKind.INVARIANT, rule_detail=bytes.fromhex(
        "5ce23950"))
    assert check_evidence(_evidence(inv, (1, 0), subject=POOL), PARAMS).violated
    assert not check_evidence(_evidence(inv, (1, 1), subject=POOL), PARAMS).violated
    malformed = {
        "two blocks": _evidence(block_to=12),
        "unregistered holder": _evidence(dataclasses.replace(PROBE, rule_detail=OTHER)),
        "privileged rule": _evidence(dataclasses.replace(PROBE, rule=4)),
        "nested prepared": _evidence(dataclasses.replace(PROBE, rule=6)),
        "garbage detail": dataclasses.replace(_evidence(), detail=b"\x01\x02"),
    }
    for what, ev in malformed.items():
        assert check_evidence(ev, PARAMS).finding is Finding.MALFORMED, what
    # the kind's row: at most exploit class, the strongest containment the protocol allows
    assert choose_action(EvidenceKind.PREPARED, (1 << Action.PAUSE) | (
        1 << Action.CIRCUIT_BREAKER)) is Action.PAUSE


def test_a_probe_has_the_class_of_the_rule_that_judged_it():
    """A balance rule cannot tell a whale's withdrawal from a theft, probed or mined: a probe it
    judges is volatility (an allowed circuit breaker, else nothing); an invariant's is exploit."""
    from protocol.containment import Shape
    from protocol.detection import evidence_shape

    strong = (1 << Action.PAUSE) | (1 << Action.COLLATERAL_LOCK)
    for rule in (EvidenceKind.BALANCE_DROP, EvidenceKind.OUTFLOW):
        ev = _evidence(dataclasses.replace(PROBE, rule=rule))
        assert evidence_shape(ev) is Shape.VOLATILITY
        assert choose_action(ev, strong) is None
        assert choose_action(ev, strong | (1 << Action.CIRCUIT_BREAKER)) is Action.CIRCUIT_BREAKER
    inv = _evidence(dataclasses.replace(PROBE, rule=EvidenceKind.INVARIANT,
                                        rule_detail=bytes.fromhex("5ce23950")), (1, 0),
                    subject=POOL)
    assert evidence_shape(inv) is Shape.EXPLOIT and choose_action(inv, strong) is Action.PAUSE
    # a probe that does not decode (refused anyway) has the weakest class, never pause
    garbage = dataclasses.replace(_evidence(), detail=b"\x01\x02")
    assert evidence_shape(garbage) is Shape.VOLATILITY and choose_action(garbage, strong) is None
