"""The evidence this guardian holds, served read-only by hash: `/evidence/<hash>` on the status
server returns the canonical evidence bytes (whose keccak256 is the hash the oracle recorded), the
reports that carried it, the guardians whose valid partial signatures this node saw, our
submission, and the incident's times (the explorer's timeline). `/evidence` lists the latest
hashes held. Everything comes from the node's own sqlite store (`node.store`): a guardian that
signed a report stored it first, so at least t guardians can produce the evidence of any
containment they authorized.

The hash in the path is untrusted input: anything but 0x and 64 hex digits is a 400, an unknown
hash a 404; nothing a client sends reaches sqlite except as a bound parameter.
"""

from __future__ import annotations

import json
import re

from node.store import Store, incident_nonce, incident_protocol
from protocol import messages
from protocol.detection import EvidenceKind, evidence_shape
from protocol.evidence import Evidence, encode_evidence
from protocol.wire import MessageError

INDEX_LIMIT = 200  # hashes listed by /evidence, latest first
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")

Response = tuple[str, bytes, str]  # HTTP status line, body, content type


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def evidence_fields(ev: Evidence) -> dict:
    """The evidence as JSON-friendly fields (what each means: `protocol.detection.RULES`)."""
    kind = EvidenceKind(ev.kind).name if ev.kind in set(EvidenceKind) else str(ev.kind)
    out = {"kind": ev.kind, "kind_name": kind, "protocol_id": _hex(ev.protocol_id),
           "block_from": ev.block_from, "block_to": ev.block_to, "subject": _hex(ev.subject),
           "observed": [str(v) for v in ev.observed], "detail": _hex(ev.detail)}
    if ev.kind in set(EvidenceKind):  # exploit or volatility: which containment it may engage
        out["class"] = evidence_shape(ev).name.lower()
    if ev.pending is not None:
        out["pending"] = {"raw_tx": _hex(ev.pending.raw_tx),
                          "base_hash": _hex(ev.pending.base_hash),
                          "sim_time": ev.pending.sim_time}
    return out


def _report_entry(store: Store, digest: bytes, encoded: bytes, origin: str,
                  received_at: float) -> tuple[dict, Evidence | None]:
    try:
        report = messages.decode(encoded)
    except MessageError:  # stored from the wire after validation: only a corrupted store
        return {"digest": _hex(digest), "error": "stored report does not decode"}, None
    shares = store.read("SELECT guardian, received_at FROM shares WHERE digest=? "
                        "ORDER BY received_at", (digest,))
    sub = store.submission(digest)
    sub_time = store.read("SELECT updated_at FROM submissions WHERE digest=?", (digest,))
    entry = {"digest": _hex(digest), "origin": origin, "received_at": received_at,
             "report": _hex(encoded), "proposer": report.guardian, "chain_id": report.chain_id,
             "oracle": _hex(report.oracle), "key_epoch": report.key_epoch,
             "action": report.action, "nonce": report.nonce, "deadline": report.deadline,
             "signers_seen": [g for g, _ in shares],
             "shares": [{"guardian": g, "received_at": t} for g, t in shares],
             "submission": None if sub is None else {
                 "status": sub.status, "tx_hash": _hex(sub.tx_hash), "attempts": sub.attempts,
                 "detail": sub.detail, "updated_at": sub_time[0][0] if sub_time else None}}
    return entry, report.evidence


def evidence_record(store: Store, evidence_hash: bytes, guardian: int) -> dict | None:
    """Everything this node holds about the evidence with this hash, or None."""
    rows = store.read("SELECT digest, incident, encoded, origin, received_at FROM reports "
                      "WHERE evidence_hash=? ORDER BY received_at", (evidence_hash,))
    reports, evidence = [], None
    for digest, _incident, encoded, origin, received_at in rows:
        entry, ev = _report_entry(store, digest, encoded, origin, received_at)
        reports.append(entry)
        evidence = evidence or ev
    if evidence is None:
        return None
    incident = rows[0][1]
    state = store.read("SELECT state, detected_at, contained_tx, contained_block FROM incidents "
                       "WHERE incident=?", (incident,))
    return {"guardian": guardian, "evidence_hash": _hex(evidence_hash),
            "evidence": _hex(encode_evidence(evidence)), "decoded": evidence_fields(evidence),
            "protocol_id": _hex(incident_protocol(incident)), "nonce": incident_nonce(incident),
            "incident": None if not state else {
                "state": state[0][0], "detected_at": state[0][1],
                "contained_tx": _hex(state[0][2]), "contained_block": state[0][3]},
            "reports": reports}


def evidence_index(store: Store, guardian: int, limit: int = INDEX_LIMIT) -> dict:
    rows = store.read("SELECT evidence_hash, incident, MIN(block_to), MIN(received_at) FROM "
                      "reports GROUP BY evidence_hash ORDER BY MIN(received_at) DESC LIMIT ?",
                      (limit,))
    return {"guardian": guardian, "evidence": [
        {"evidence_hash": _hex(h), "protocol_id": _hex(incident_protocol(i)),
         "nonce": incident_nonce(i), "block_to": b, "received_at": t} for h, i, b, t in rows]}


def _json(status: str, doc: dict) -> Response:
    return status, json.dumps(doc, indent=2).encode() + b"\n", "application/json"


class EvidenceRoutes:
    """The status server's `/evidence` and `/evidence/<hash>` (node.status_server `routes`)."""

    def __init__(self, store: Store, guardian: int) -> None:
        self.store = store
        self.guardian = guardian

    def __call__(self, path: str) -> Response | None:
        if path in ("/evidence", "/evidence/"):
            return _json("200 OK", evidence_index(self.store, self.guardian))
        if not path.startswith("/evidence/"):
            return None
        text = path[len("/evidence/"):]
        if not _HASH.match(text):
            return _json("400 Bad Request",
                         {"error": "the evidence hash must be 0x followed by 64 hex digits"})
        record = evidence_record(self.store, bytes.fromhex(text[2:]), self.guardian)
        if record is None:
            return _json("404 Not Found", {"error": f"guardian {self.guardian} holds no "
                                                    f"evidence with hash {text.lower()}"})
        return _json("200 OK", record)
