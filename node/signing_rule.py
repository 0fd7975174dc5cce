"""Which report of an incident this guardian signs: the convergence rule and its one exception.

Every guardian orders competing reports of one incident (protocol id + nonce) by
`protocol.detection.preference_key` and signs a report only if it is better than every one it
signed before: signatures converge on one digest instead of splitting. The exception: a report we
signed on pending (or probe) evidence that has not combined and whose base block is now too far
behind our head for any other guardian to sign (`protocol.pending.base_too_old`) has stalled. It
can gather no more shares, so it no longer holds the incident: a fresher report may be signed,
and the incident detected again by us, instead of waiting for the stalled one to expire (900 s)
while a slow drain goes on (issue 24).
"""

from __future__ import annotations

from collections.abc import Callable

from node.prepared_check import is_prepared
from node.store import Store
from protocol import messages
from protocol.detection import preference_key
from protocol.evidence import evidence_hash
from protocol.pending import base_too_old

PREFERENCE_HASH_BYTES = 16
# Follows the preference key on a "signed share" line when a better report we signed had stalled
# (node.chaos.outcome does not count that as double signing).
REPLACES_STALLED = "replaces stalled"


def stalled(store: Store, digest: bytes, head: int, combined: Callable[[bytes], bool]) -> bool:
    """A report we signed that can gather no more shares (see the module docstring)."""
    if combined(digest):
        return False
    stored = store.report(digest)
    if stored is None:
        return False
    ev = messages.decode(stored.encoded).evidence
    return (ev.pending is not None or is_prepared(ev)) and base_too_old(ev.block_to, head)


def to_sign(store: Store, signed: list[bytes], digest: bytes, block_to: int, ev_hash: bytes,
            head: int, combined: Callable[[bytes], bool]) -> list[bytes] | None:
    """None if we must not sign `digest` (signed it, or a better report that still holds);
    otherwise the better reports we signed that stalled (usually none), for the log."""
    mine = preference_key(block_to, ev_hash)
    replaced = []
    for other in signed:
        if other == digest:
            return None
        stored = store.report(other)
        if stored and preference_key(stored.block_to, stored.evidence_hash) <= mine:
            if not stalled(store, other, head, combined):
                return None
            replaced.append(other)
    return replaced


def preference_text(evidence) -> str:
    """The report's preference key for the log (the fault suite's double-signing check reads it):
    the evidence block and the first 16 bytes of the evidence hash. A whole 32-byte hash would be
    masked by the log's key redaction (64 hex digits look like a private key)."""
    return (f"evidence block {evidence.block_to} hash "
            f"0x{evidence_hash(evidence).hex()[:2 * PREFERENCE_HASH_BYTES]}")


def replaces_text(replaced: list[bytes]) -> str:
    return "".join(f" {REPLACES_STALLED} 0x{d.hex()[:12]}" for d in replaced)
