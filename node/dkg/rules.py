"""Which ceremony messages the transport accepts, in the manner of the gossip rules: each
condition is tagged REJECT (malformed, another ceremony on our topic, a sender the ceremony does
not know, a bad signature: the forwarding peer is charged) or ACCEPT. What a signed message
*means* (a bad share, an equivocation) is for the session to judge: it is evidence, not noise.

The check is cheap (msgpack decode and one Ed25519 verification) because it runs for every copy
a peer forwards; the expensive checks (decryption, Feldman) run once per message in the session.
"""

from __future__ import annotations

from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgMessageError
from protocol.dkg_keys import verify_signature
from protocol.dkg_wire import Confirmation, Deal, Justification, Response, decode, signing_bytes

ACCEPT, REJECT = "ACCEPT", "REJECT"


def signer_key(ceremony: Ceremony, msg) -> bytes | None:
    """The signing key of the member the message claims to come from, or None."""
    if isinstance(msg, Deal | Justification | Confirmation):
        member = ceremony.dealer(msg.dealer)
    elif isinstance(msg, Response):
        member = ceremony.recipient(msg.recipient)
    else:
        member = None
    return None if member is None else member.signing_key


def judge(ceremony: Ceremony, ceremony_id: bytes, data: bytes) -> tuple[str, str]:
    """(verdict, reason) for one ceremony message. Never raises."""
    try:
        msg = decode(data)
    except DkgMessageError as exc:
        return REJECT, f"malformed ceremony message: {exc}"
    except Exception as exc:  # noqa: BLE001 - untrusted input must never raise
        return REJECT, f"malformed ceremony message ({type(exc).__name__})"
    if msg.ceremony != ceremony_id:
        return REJECT, "a message of another ceremony"
    key = signer_key(ceremony, msg)
    if key is None:
        return REJECT, f"{msg.TYPE} from index {msg.sender}, which has no such role here"
    if not verify_signature(key, signing_bytes(msg), msg.signature):
        return REJECT, f"{msg.TYPE} from index {msg.sender}: bad signature"
    return ACCEPT, f"{msg.TYPE} from {msg.sender}"


def describe(data: bytes) -> str:
    """'deal from 3' for a message that decodes (for progress lines)."""
    try:
        msg = decode(data)
    except Exception:  # noqa: BLE001
        return "?"
    return f"{msg.TYPE} from {msg.sender}"
