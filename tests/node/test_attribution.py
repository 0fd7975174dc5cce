"""Issue 17: honest guardians name who misbehaved. A REJECTed message is blamed on the authenticated
peer that sent it (never on the index it claims); two different unexpired reports signed by one
guardian for one incident are equivocation; live guardians with no share for a combined incident
are listed as silent."""

from __future__ import annotations

import dataclasses
import random
import time

from node.attribution import BlameLedger, silent_guardians
from node.gossip_intake import GossipIntake
from node.status import NodeState
from protocol import gossip_rules, messages, threshold
from protocol.bls import get_backend
from protocol.detection import EvidenceKind
from protocol.digest import Action
from protocol.evidence import Evidence
from protocol.guardian_set import GuardianSet

B = get_backend()
ORACLE = b"\x5f" * 20
PID = b"\x42" * 32
PEERS = ("Qm1", "Qm2", "Qm3", "Qm4")  # base58-shaped


def _net():
    dealing = threshold.deal(4, 3, backend=B, rng=random.Random(17))
    gset = dataclasses.replace(GuardianSet.from_dealing(dealing, 1, B), peer_ids=PEERS)
    return dealing, gset


def _intake(gset, index=1) -> GossipIntake:
    return GossipIntake(guardian_set=gset, backend=B, index=index, chain_id=31337,
                        oracle_address=ORACLE, state=NodeState(name="g", index=index))


def _report(dealing, guardian: int, deadline: int) -> messages.Report:
    ev = Evidence(EvidenceKind.OUTFLOW, PID, 90, 100, b"\x07" * 20, (10**24, 10**23), b"\x08" * 20)
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=ORACLE, key_epoch=1, protocol_id=PID, action=Action.PAUSE, nonce=0,
        deadline=deadline, evidence=ev, observed_block=100, guardian=guardian, signature=b""),
        dealing.shares[guardian - 1], B)


def test_rejected_message_is_blamed_on_the_sending_peer_not_the_claimed_guardian():
    dealing, gset = _net()
    intake = _intake(gset)
    intake.state.head = 100
    report = _report(dealing, 2, int(time.time()) + 3600)
    bad_share = messages.sign_message(messages.Share(
        report.incident_id, report.digest(),
        threshold.partial_sign(dealing.shares[1], b"\x00" * 32, B), 2, b""),
        dealing.shares[1], B)
    verdict, _ = intake.validate("Qm3", messages.encode(bad_share))  # 3 forwards 2's
    assert verdict is gossip_rules.Verdict.REJECT
    blamed = intake.state.blame.blamed()
    assert list(blamed) == ["3"] and "bad_partial" in next(iter(blamed["3"]))
    intake.validate("stranger", messages.encode(bad_share))  # not a member: nobody to name
    assert list(intake.state.blame.blamed()) == ["3"]


def test_a_link_vouches_only_for_its_own_guardians_shares_and_proofs():
    """`validate_link`: guardian 2's share over guardian 2's link is judged without its guardian
    signature (here guardian 4's); anything else is left to the full rules (None), and a bad
    partial over the author's own link is still rejected and blamed on it."""
    dealing, gset = _net()
    intake = _intake(gset)
    report = _report(dealing, 2, int(time.time()) + 3600)
    digest = report.digest()
    share = messages.Share(report.incident_id, digest,
                           threshold.partial_sign(dealing.shares[1], digest, B), 2, b"")
    unsigned = messages.encode(messages.sign_message(share, dealing.shares[3], B))
    assert intake.validate("Qm2", unsigned)[0] is gossip_rules.Verdict.REJECT
    assert intake.validate_link("Qm2", unsigned)[0] is gossip_rules.Verdict.ACCEPT
    assert intake.validate_link("Qm3", unsigned) is None  # 3 relaying 2's: not its own
    assert intake.validate_link("stranger", unsigned) is None
    assert intake.validate_link("Qm1", unsigned) is None  # our own peer id
    assert intake.validate_link("Qm2", messages.encode(report)) is None  # reports: full rules
    assert intake.validate_link("Qm2", b"garbage") is None
    wrong = dataclasses.replace(share, partial=threshold.partial_sign(dealing.shares[2], digest, B))
    verdict, _ = intake.validate_link(
        "Qm2", messages.encode(messages.sign_message(wrong, dealing.shares[1], B)))
    assert verdict is gossip_rules.Verdict.REJECT
    assert list(intake.state.blame.blamed()) == ["2"]


def test_two_different_reports_of_one_guardian_are_equivocation():
    dealing, gset = _net()
    intake = _intake(gset)
    intake.state.head = 100
    deadline = int(time.time()) + 3600
    first, second = _report(dealing, 2, deadline), _report(dealing, 2, deadline - 1)
    verdict, _ = intake.validate("Qm2", messages.encode(first))
    assert verdict is gossip_rules.Verdict.ACCEPT
    intake._note_first(first)  # delivered
    assert intake.state.blame.blamed() == {}
    intake.validate("Qm2", messages.encode(first))  # the same report again: no blame
    assert intake.state.blame.blamed() == {}
    verdict, _ = intake.validate("Qm2", messages.encode(second))
    assert verdict is gossip_rules.Verdict.IGNORE
    assert list(intake.state.blame.blamed()) == ["2"]
    assert "equivocation" in next(iter(intake.state.blame.blamed()["2"]))


def test_a_forged_second_report_does_not_frame_the_claimed_guardian():
    dealing, gset = _net()
    intake = _intake(gset)
    intake.state.head = 100
    deadline = int(time.time()) + 3600
    intake._note_first(_report(dealing, 2, deadline))
    forged = dataclasses.replace(_report(dealing, 2, deadline - 1), signature=_report(
        dealing, 3, deadline - 1).signature)
    intake.validate("Qm4", messages.encode(forged))
    assert intake.state.blame.blamed() == {}


def test_blame_ledger_is_bounded_and_silence_needs_time():
    ledger = BlameLedger()
    for k in range(20):
        ledger.blame(5, f"reason {k}")
    reasons = ledger.blamed()["5"]
    assert len(reasons) <= 9 and reasons["other"] == 12
    signers = {"inc": (100.0, {1, 2, 3})}
    assert silent_guardians(signers, [1, 2, 3, 4], now=105.0) == {}
    assert silent_guardians(signers, [1, 2, 3, 4], now=111.0) == {"inc": [4]}
