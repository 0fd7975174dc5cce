"""Gossip intake: what the node does with a message from the topic.

Two steps, at two times. `validate` is the p2p layer's topic validator: it applies the rules of
`protocol.gossip_rules` to raw bytes before the message is forwarded, never raises, and keeps a
per-peer count of REJECTs. `run` then takes the accepted messages off the p2p inbound channel,
deduplicates them (py-libp2p may deliver one twice), records liveness and the "first valid"
state the rules read, and hands each message to its consumer: reports to the incident pipeline
(each in its own task: re-verification reads the chain), shares to the pipeline, proofs to the
submitter, report requests to node.report_requests.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import trio

from node.status import NodeState
from protocol import gossip_rules, messages
from protocol.detection import EvidenceKind
from protocol.guardian_set import GuardianSet
from protocol.pending import base_too_old

log = logging.getLogger("guardian.daemon")

DECODED_CACHE = 1024


class GossipIntake:
    def __init__(self, *, guardian_set: GuardianSet, backend, index: int, chain_id: int,
                 oracle_address: bytes, state: NodeState, metrics=None) -> None:
        self.gset = guardian_set
        self.backend = backend
        self.index = index
        self.chain_id = chain_id
        self.oracle_address = oracle_address
        self.state = state
        self.metrics = metrics
        self._seen_ids: OrderedDict[bytes, None] = OrderedDict()
        self._decoded: OrderedDict[bytes, messages.Message] = OrderedDict()
        # (guardian, incident id) -> (digest, deadline, simulated evidence's block or None) of
        # its first accepted report
        self._reported: OrderedDict[tuple[int, bytes], tuple[bytes, int, int | None]] = \
            OrderedDict()
        self._guardian_of_peer = {peer: i for i, peer in enumerate(guardian_set.peer_ids or (), 1)}
        self._last_heartbeat: dict[int, int] = {}  # bounded by the guardian set's size
        self._last_request: dict[int, int] = {}  # the same, for report requests
        self.tip = 0  # the newest head our node has (node.head_relay), ahead of state.head

    def note_tip(self, number: int) -> None:
        """The newest head the subscription delivered. The "future" rule counts from it, not from
        the watch loop's head: under load that lagged 60 blocks behind, and every peer's report
        about the chain as it is now was dropped as "from the future" (issue 24)."""
        self.tip = max(self.tip, number)

    # validation (the p2p topic validator) ------------------------------------------------------
    def _context(self, link_author: int | None = None) -> gossip_rules.ValidationContext:
        return gossip_rules.ValidationContext(
            guardian_set=self.gset, chain_id=self.chain_id, oracle=self.oracle_address,
            head_block=self._head(), now=int(time.time()),
            reported=_StillReported(self._reported, self._head()),
            last_heartbeat=self._last_heartbeat, last_request=self._last_request,
            link_author=link_author)

    def _head(self) -> int:
        return max(self.state.head, self.tip)

    def _counts(self, key: tuple[int, bytes]) -> bool:
        """A guardian's first report of an incident still counts as its report (see
        `_StillReported`)."""
        return key in _StillReported(self._reported, self._head())

    def validate_link(self, peer_id: str, data: bytes):
        """The p2p layer's validator for a frame from `peer_id`'s direct link: a share or proof
        that its author sent over its own link is judged with the link as its authentication
        (`protocol.gossip_rules`: no guardian signature check). None for anything else, which
        the p2p layer then judges with `validate`, as a topic message."""
        author = self._guardian_of_peer.get(peer_id)
        if author is None or author == self.index:
            return None
        try:
            msg = messages.decode(data, self.backend)
        except Exception:  # noqa: BLE001 - malformed: `validate` rejects it and says why
            return None
        if not isinstance(msg, messages.Share | messages.Proof) or msg.guardian != author:
            return None
        return self.validate(peer_id, data, link_author=author)

    def validate(self, peer_id: str, data: bytes, link_author: int | None = None):
        """The p2p topic validator: the rules of `protocol.gossip_rules`, never raising. Returns
        (verdict, reason); the p2p layer charges REJECTs to the forwarding peer and logs them,
        bounded (node.p2p.peers)."""
        verdict, reason, msg = gossip_rules.validate_bytes(data, self._context(link_author),
                                                           self.backend)
        if verdict is gossip_rules.Verdict.REJECT:
            detail = f"claims guardian {msg.guardian}: {reason}" if msg is not None else str(reason)
            sender = self._guardian_of_peer.get(peer_id)
            if sender is not None and sender != self.index:  # honest guardians never forward it
                self.state.blame.blame(sender, f"sent an invalid message ({_why(reason)})", detail)
            if self.metrics:
                self.metrics.message_rejected(_kind(msg))
            return verdict, detail
        if (verdict is gossip_rules.Verdict.IGNORE and isinstance(msg, messages.Report)
                and reason.reason is gossip_rules.Reason.NOT_FIRST):
            self._check_equivocation(msg)
        if verdict is gossip_rules.Verdict.ACCEPT and msg is not None:
            self._decoded[gossip_rules.message_id(data)] = msg
            while len(self._decoded) > DECODED_CACHE:
                self._decoded.popitem(last=False)
        return verdict, str(reason)

    def _check_equivocation(self, report: messages.Report) -> None:
        """A second report from one guardian for one incident, both unexpired and different:
        honest guardians report an incident once (again only after their report expired)."""
        key = (report.guardian, report.incident_id)
        first = self._reported.get(key)
        try:
            if (first is None or first[0] == report.digest() or first[1] < int(time.time())
                    or not self._counts(key)):  # its first report stalled: reporting again
                return
            signed = messages.verify_message_signature(report, self.gset, self.backend)
        except Exception:  # noqa: BLE001 - the validator must never raise
            return
        if signed:
            self.state.blame.blame(report.guardian, "equivocation: two different reports for "
                                   "one incident", f"incident 0x{report.incident_id.hex()[:12]}")

    # delivery ----------------------------------------------------------------------------------
    def remember(self, mid: bytes) -> bool:
        """True if the message id is new (application-level dedup)."""
        if mid in self._seen_ids:
            return False
        self._seen_ids[mid] = None
        while len(self._seen_ids) > 4 * DECODED_CACHE:
            self._seen_ids.popitem(last=False)
        return True

    def _note_first(self, msg: messages.Message) -> None:
        """Record what the "first valid" gossip rules read (see protocol.gossip_rules)."""
        if isinstance(msg, messages.Report):
            key = (msg.guardian, msg.incident_id)
            if self._counts(key):  # both passed validation at once (async validation)
                self._check_equivocation(msg)
                return
            ev = msg.evidence
            simulated = ev.pending is not None or ev.kind == EvidenceKind.PREPARED
            self._reported[key] = (msg.digest(), msg.deadline, ev.block_to if simulated else None)
            self._reported.move_to_end(key)
            while len(self._reported) > DECODED_CACHE:
                self._reported.popitem(last=False)
        elif isinstance(msg, messages.Heartbeat):
            if msg.timestamp > self._last_heartbeat.get(msg.guardian, -1):
                self._last_heartbeat[msg.guardian] = msg.timestamp
        elif isinstance(msg, messages.ReportRequest):
            if msg.timestamp > self._last_request.get(msg.guardian, -1):
                self._last_request[msg.guardian] = msg.timestamp

    async def run(self, inbound, *, on_report: Callable[[messages.Report], Awaitable[object]],
                  on_share: Callable[[messages.Share], Awaitable[None]],
                  on_proof: Callable[[messages.Proof], None],
                  on_request: Callable[[messages.ReportRequest], None] | None = None) -> None:
        async with trio.open_nursery() as nursery:
            async for _peer, data in inbound:
                mid = gossip_rules.message_id(data)
                if not self.remember(mid):
                    continue
                msg = self._decoded.pop(mid, None)
                if msg is None:
                    try:
                        msg = messages.decode(data, self.backend)
                    except messages.MessageError:
                        continue  # validated before; cannot happen, but never crash the node
                if self.metrics:
                    self.metrics.message_in(_kind(msg))
                self._note_first(msg)
                self.state.last_seen[msg.guardian] = time.monotonic()
                if isinstance(msg, messages.Heartbeat) and msg.guardian != self.index:
                    self.state.note_delivery(time.time() * 1000 - msg.timestamp)
                if isinstance(msg, messages.Report):
                    nursery.start_soon(_handle_report, on_report, msg)
                elif isinstance(msg, messages.Share):
                    await on_share(msg)
                elif isinstance(msg, messages.Proof):
                    on_proof(msg)
                elif isinstance(msg, messages.ReportRequest) and on_request is not None:
                    on_request(msg)  # node.report_requests


class _StillReported:
    """The (guardian, incident) pairs whose first report still counts for the gossip rules'
    "first valid report" condition. A first report about a pending transaction (or a probe)
    whose base block is now too old for anyone to sign (`protocol.pending.base_too_old`) no
    longer counts: that guardian may report the incident again, with fresher evidence, and is
    not blamed for equivocation (node.pipeline: a stalled report does not hold the incident)."""

    def __init__(self, reported: OrderedDict, head: int) -> None:
        self._reported = reported
        self._head = head

    def __contains__(self, key: object) -> bool:
        entry = self._reported.get(key)
        if entry is None:
            return False
        simulated_block = entry[2]
        return simulated_block is None or not base_too_old(simulated_block, self._head)


async def _handle_report(on_report, report: messages.Report) -> None:
    try:
        await on_report(report)
    except Exception:  # noqa: BLE001 - one bad report must not take the node down
        log.exception("handling report from guardian %d failed", report.guardian)


def _why(reason) -> str:
    label = getattr(reason, "reason", None)
    return label.value if label is not None else str(reason)[:60]


def _kind(msg) -> str:
    return type(msg).__name__.lower() if msg is not None else "malformed"


# Our own incident messages go to every member directly, not only the mesh (node.p2p.router).
FLOODED_KINDS = frozenset({"report", "share", "proof", "request"})


def kind_of_bytes(data: bytes) -> str:
    for kind in ("report", "share", "proof", "heartbeat", "request"):
        if kind.encode() in data[:32]:
            return kind
    return "unknown"
