"""Fuzz targets for what `guardian audit`, the explorer and the evidence route read from
strangers: a guardian's `/evidence` answer (JSON, then the evidence bytes it carries), the
calldata of a transaction presented as an `authorize`, the path a client asks the status server
for, and the guardians' records the explorer turns into a timeline."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import msgpack
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from node.audit.fetch import check_answer, parse_answer
from node.audit.transaction import AUTHORIZE_SELECTOR, AuditError, decode_authorize
from node.evidence_archive import EvidenceRoutes
from node.explorer.incidents import timeline
from node.fuzzing.harness import Target, require, structured
from node.store import Store
from protocol.evidence import decode_evidence, encode_evidence
from protocol.wire import MessageError


def evidence_bytes(data: bytes) -> None:
    ev = decode_evidence(data)
    require(encode_evidence(ev) == data, "accepted a non-canonical encoding")


def evidence_answer(data: bytes) -> None:
    doc = parse_answer(data)
    text = doc.get("evidence")
    wanted = keccak(bytes.fromhex(text[2:])) if isinstance(text, str) and text.startswith(
        "0x") and len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text[2:]) \
        else b"\x00" * 32
    ev = check_answer(doc, wanted)
    require(keccak(encode_evidence(ev)) == wanted, "accepted evidence of another hash")


def authorize_calldata(data: bytes) -> None:
    target, action, nonce, deadline, from_block, ev_hash, sig = decode_authorize(data)
    require(len(target) == 20 and len(ev_hash) == 32 and isinstance(sig, bytes),
            "decoded fields of the wrong size")


_STORE = Store(Path(tempfile.mkdtemp(prefix="fuzz-evidence-")) / "store.sqlite")
_ROUTES = EvidenceRoutes(_STORE, 1)


def evidence_path(data: bytes) -> None:
    path = data.split(b"\n", 1)[0].decode("latin-1")
    answer = _ROUTES("/evidence/" + path)
    require(answer is not None and answer[0].split()[0] in ("200", "400", "404"),
            f"unexpected answer {answer!r}")
    json.loads(answer[1])


def guardian_records(data: bytes) -> None:
    records = structured(data)
    if not isinstance(records, dict):
        records = {"x": records}
    events = timeline(records, 3, 1.0, (1, 2))
    require(all(isinstance(e["t_ms"], int) and isinstance(e["what"], str) for e in events),
            "timeline event of the wrong type")


def seeds() -> dict[str, list[bytes]]:
    ev = fixtures_evidence()
    enc = encode_evidence(ev)
    call = AUTHORIZE_SELECTOR + abi_encode(
        ["address", "uint8", "uint64", "uint64", "uint64", "bytes32", "bytes"],
        ["0x" + "11" * 20, 1, 0, 1_700_000_900, 10, keccak(enc), b"\x22" * 256])
    record = {"guardian": 1, "incident": {"detected_at": 10.0},
              "reports": [{"origin": "local", "received_at": 10.0,
                           "submission": {"status": "confirmed", "updated_at": 11.0},
                           "shares": [{"guardian": g, "received_at": 10.0 + g / 100}
                                      for g in (1, 2, 3)]}]}
    return {"evidence-bytes": [enc],
            "evidence-answer": [json.dumps({"evidence": "0x" + enc.hex()}).encode()],
            "authorize-calldata": [call, call[:4]],
            "evidence-path": [b"0x" + b"ab" * 32, b"", b"0x12"],
            "guardian-records": [msgpack.packb({"a": record}, use_bin_type=True)]}


def fixtures_evidence():
    from node.fuzzing.seeds import _evidence  # the other targets' evidence, one of them

    return _evidence()[0]


TARGETS = (
    Target("evidence-bytes", "protocol.evidence.decode_evidence: bytes a guardian serves",
           evidence_bytes, (MessageError,)),
    Target("evidence-answer", "node.audit.fetch: a guardian's /evidence/<hash> answer",
           evidence_answer, (ValueError,)),
    Target("authorize-calldata", "node.audit.transaction.decode_authorize: a transaction's input",
           authorize_calldata, (AuditError,)),
    Target("evidence-path", "the status server's /evidence/<hash> route", evidence_path, ()),
    Target("guardian-records", "node.explorer.incidents.timeline: guardians' records",
           guardian_records, ()),
)
