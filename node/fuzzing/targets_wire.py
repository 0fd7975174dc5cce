"""Fuzz targets for what guardians send each other: wire messages, their evidence, the gossip
validation rules applied to raw bytes, and the guardian set's canonical (msgpack) encoding."""

from __future__ import annotations

from node.fuzzing import fixtures
from node.fuzzing.harness import Target, require
from protocol import gossip_rules, messages
from protocol.detection import Finding as EvidenceFinding
from protocol.detection import check_evidence
from protocol.evidence import encode_evidence, evidence_hash, from_fields
from protocol.guardian_set import GuardianSet, GuardianSetError
from protocol.wire import MessageError, unpack_map


def wire_message(data: bytes) -> None:
    msg = messages.decode(data, fixtures.keys().backend)
    require(messages.encode(msg) == data, "a decoded message re-encodes to other bytes")


def evidence(data: bytes) -> None:
    ev = from_fields(unpack_map(data))
    require(len(evidence_hash(ev)) == 32 and encode_evidence(ev) is not None, "no evidence hash")
    verdict = check_evidence(ev, fixtures.params())
    require(isinstance(verdict.finding, EvidenceFinding), "check_evidence gave no verdict")


def gossip(data: bytes) -> None:
    k = fixtures.keys()
    ctx = gossip_rules.ValidationContext(guardian_set=k.gset, chain_id=fixtures.CHAIN_ID,
                                         oracle=fixtures.ORACLE, head_block=fixtures.HEAD,
                                         now=fixtures.NOW)
    verdict, outcome, msg = gossip_rules.validate_bytes(data, ctx, k.backend)
    require(outcome.reason is not gossip_rules.Reason.INTERNAL,
            f"the validator failed internally: {outcome.detail}")
    require(msg is not None or verdict is gossip_rules.Verdict.REJECT,
            "an undecodable message was not rejected")


def guardian_set(data: bytes) -> None:
    gset = GuardianSet.decode(data)
    require(gset.encode() == data, "a decoded guardian set re-encodes to other bytes")
    gset.validate(fixtures.keys().backend)


TARGETS = (
    Target("wire-message", "protocol.messages.decode: every gossip message a peer sends",
           wire_message, (MessageError,)),
    Target("evidence", "protocol.evidence.from_fields + detection.check_evidence: a report's "
           "evidence, judged", evidence, (MessageError,)),
    Target("gossip-rules", "protocol.gossip_rules.validate_bytes: the gossipsub validator "
           "(never raises, never fails internally)", gossip, ()),
    Target("guardian-set", "protocol.guardian_set.GuardianSet.decode + validate: the canonical "
           "set encoding", guardian_set, (GuardianSetError,)),
)
