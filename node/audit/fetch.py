"""Getting the evidence of a containment from the guardians (`/evidence/<hash>` on their status
servers). A guardian's answer is untrusted: only bytes whose keccak256 is the hash the oracle
recorded, and that decode as canonical evidence, are accepted; every other outcome (unreachable,
404, wrong hash, garbage) is recorded per guardian so the user sees why."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import trio
from eth_hash.auto import keccak

from protocol.evidence import Evidence, decode_evidence
from protocol.wire import MessageError

MAX_RESPONSE_BYTES = 256 * 1024
FETCH_TIMEOUT_SECONDS = 5.0


@dataclass
class Fetched:
    evidence: Evidence | None = None
    source: str | None = None  # the guardian URL that produced it
    record: dict = field(default_factory=dict)  # that guardian's /evidence answer
    problems: list[tuple[str, str]] = field(default_factory=list)  # (url, what went wrong)


def get_json(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> dict:
    """GET a JSON document (bounded size); OSError/ValueError say what failed."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - user URL
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = ""
        try:
            detail = json.loads(exc.read(4096)).get("error", "")
        except (ValueError, AttributeError, OSError):
            pass
        raise OSError(f"HTTP {exc.code}{': ' + detail if detail else ''}") from exc
    except urllib.error.URLError as exc:
        raise OSError(f"unreachable: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise OSError(f"unreachable: {exc}") from exc
    return parse_answer(body)


def parse_answer(body: bytes) -> dict:
    """A guardian's answer as a JSON object; ValueError says what is wrong with it."""
    if len(body) > MAX_RESPONSE_BYTES:
        raise ValueError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
    try:
        doc = json.loads(body)
    except RecursionError as exc:  # nesting bombs (node/recursion.py bounds the depth)
        raise ValueError("answer nests too deeply") from exc
    if not isinstance(doc, dict):
        raise ValueError("answer is not a JSON object")
    return doc


def check_answer(doc: dict, evidence_hash: bytes) -> Evidence:
    """The evidence in a guardian's answer, if its bytes hash to `evidence_hash`."""
    text = doc.get("evidence")
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError("answer has no evidence bytes")
    try:
        data = bytes.fromhex(text[2:])
    except ValueError as exc:
        raise ValueError("answer's evidence is not hex") from exc
    got = keccak(data)
    if got != evidence_hash:
        raise ValueError(f"served bytes hash to 0x{got.hex()}, not the recorded hash")
    try:
        return decode_evidence(data)
    except MessageError as exc:
        raise ValueError(f"served bytes are not canonical evidence: {exc}") from exc


async def fetch_evidence(guardians: list[str], evidence_hash: bytes,
                         timeout: float = FETCH_TIMEOUT_SECONDS) -> Fetched:
    """Ask each guardian in turn until one produces the evidence."""
    out = Fetched()
    for base in guardians:
        url = f"{base.rstrip('/')}/evidence/0x{evidence_hash.hex()}"
        try:
            doc = await trio.to_thread.run_sync(get_json, url, timeout)
            out.evidence, out.source, out.record = check_answer(doc, evidence_hash), base, doc
            return out
        except (OSError, ValueError) as exc:
            out.problems.append((base, str(exc)))
    return out
