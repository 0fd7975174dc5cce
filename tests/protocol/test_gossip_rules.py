"""Gossip rules: IGNORE versus REJECT per condition, and a validator that never raises."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import messages, threshold
from protocol.gossip_rules import (
    Outcome,
    Reason,
    ValidationContext,
    Verdict,
    message_id,
    validate_bytes,
)

from .conftest import ORACLE, B, make_all, make_report


def ctx(net, **changes) -> ValidationContext:
    base = dict(guardian_set=net.gset, chain_id=31337, oracle=ORACLE, head_block=100,
                now=1_700_000_010)
    base.update(changes)
    return ValidationContext(**base)


def verdict(net, msg_or_bytes, **changes):
    data = msg_or_bytes if isinstance(msg_or_bytes, bytes) else messages.encode(msg_or_bytes)
    return validate_bytes(data, ctx(net, **changes), B)[:2]


def test_valid_messages_are_accepted(net):
    for msg in make_all(net):
        assert verdict(net, msg)[0] is Verdict.ACCEPT, type(msg).__name__


@pytest.mark.parametrize("change,expected", [
    (dict(chain_id=1), Verdict.IGNORE),
    (dict(oracle=b"\x01" * 20), Verdict.IGNORE),
    (dict(key_epoch=2), Verdict.IGNORE),
    (dict(deadline=5), Verdict.IGNORE),
    (dict(observed_block=500), Verdict.IGNORE),
    (dict(evidence_pid=b"\x01" * 32), Verdict.REJECT),
])
def test_report_rules(net, change, expected):
    assert verdict(net, make_report(net, **change))[0] is expected


def test_report_bad_signature_and_non_member(net):
    report = make_report(net)
    forged = dataclasses.replace(report, guardian=2)
    assert verdict(net, forged) == (Verdict.REJECT,
                                   Outcome(Reason.BAD_SIGNATURE, "bad guardian signature"))
    stranger = dataclasses.replace(report, guardian=9)
    assert verdict(net, stranger)[0] is Verdict.REJECT


def test_share_whose_partial_does_not_verify_is_rejected(net):
    _, share, _, _ = make_all(net)
    wrong = threshold.partial_sign(net.sk(3), share.digest, B)  # guardian 3's partial, sent by 2
    bad = messages.sign_message(dataclasses.replace(share, partial=wrong), net.sk(2), B)
    v, reason = verdict(net, bad)
    assert v is Verdict.REJECT and reason.reason is Reason.BAD_PARTIAL
    assert "partial of guardian 2" in reason.detail


def test_proof_rules(net):
    _, _, proof, _ = make_all(net)
    too_few = messages.sign_message(dataclasses.replace(proof, signers=(1, 2)), net.sk(3), B)
    assert verdict(net, too_few)[0] is Verdict.REJECT
    bad_sig = messages.sign_message(
        dataclasses.replace(proof, combined_signature=threshold.partial_sign(net.sk(1), proof.digest, B)),
        net.sk(3), B)
    assert "group key" in verdict(net, bad_sig)[1].detail


def test_a_share_or_proof_over_its_authors_link_needs_no_guardian_signature(net):
    """The link's handshake authenticates its author: a share's or proof's guardian signature is
    not checked again (one pairing check less per share), its content still is; a report's
    signature always is (others publish it again), and so is anyone else's message."""
    report, share, proof, _ = make_all(net)
    # signed with guardian 4's key: a valid point, not the author's signature
    unsigned_share = messages.sign_message(share, net.sk(4), B)
    unsigned_proof = messages.sign_message(proof, net.sk(4), B)
    for msg in (unsigned_share, unsigned_proof):
        assert verdict(net, msg)[1].reason is Reason.BAD_SIGNATURE
        assert verdict(net, msg, link_author=msg.guardian)[0] is Verdict.ACCEPT
        other = msg.guardian % 4 + 1
        assert verdict(net, msg, link_author=other)[1].reason is Reason.BAD_SIGNATURE
    wrong = threshold.partial_sign(net.sk(3), share.digest, B)  # not guardian 2's partial
    v, reason = verdict(net, dataclasses.replace(unsigned_share, partial=wrong), link_author=2)
    assert v is Verdict.REJECT and reason.reason is Reason.BAD_PARTIAL
    forged = dataclasses.replace(unsigned_proof, combined_signature=wrong)
    assert verdict(net, forged, link_author=proof.guardian)[1].reason is Reason.BAD_PROOF
    unsigned_report = messages.sign_message(report, net.sk(4), B)
    assert verdict(net, unsigned_report, link_author=report.guardian)[1].reason \
        is Reason.BAD_SIGNATURE


def test_heartbeat_rules(net):
    beat = make_all(net)[3]
    assert verdict(net, beat, now=beat.timestamp // 1000 + 3600)[0] is Verdict.IGNORE


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_validator_never_raises_on_garbage(net, data):
    v, reason, msg = validate_bytes(data, ctx(net), B)
    assert v is Verdict.REJECT and msg is None and reason.detail


def test_only_the_first_report_per_guardian_and_incident_is_forwarded(net):
    report = make_report(net)
    assert verdict(net, report)[0] is Verdict.ACCEPT
    v, outcome = verdict(net, report, reported={(report.guardian, report.incident_id)})
    assert v is Verdict.IGNORE and outcome.reason is Reason.NOT_FIRST
    assert verdict(net, report, reported={(2, report.incident_id)})[0] is Verdict.ACCEPT


def test_a_heartbeat_must_be_newer_than_the_last_one_accepted(net):
    beat = make_all(net)[3]
    now = beat.timestamp // 1000
    v, outcome = verdict(net, beat, now=now, last_heartbeat={beat.guardian: beat.timestamp})
    assert v is Verdict.IGNORE and outcome.reason is Reason.NOT_FIRST
    older = {beat.guardian: beat.timestamp - 1}
    assert verdict(net, beat, now=now, last_heartbeat=older)[0] is Verdict.ACCEPT


def test_reasons_are_labels_and_message_ids_are_domain_separated():
    import hashlib

    assert all(r.value.isidentifier() for r in Reason)
    assert message_id(b"x") == hashlib.sha256(b"guardian-network/msgid/v1x").digest()[:20]
    assert message_id(b"x") != hashlib.sha256(b"x").digest()[:20]
