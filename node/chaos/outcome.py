"""What a scenario observed, measured the same way for every scenario: containment (blocks and
seconds from the first attack transaction), `authorize` transactions and reverts, the guardians
the honest nodes blamed, node crashes, and lost or double-signed shares (from the logs)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from node.devnet.attack import AttackResult
from node.devnet.authorizations import authorize_transactions
from node.signing_rule import REPLACES_STALLED

SIGNED = re.compile(r"signed share for digest 0x([0-9a-f]+) \(protocol 0x([0-9a-f]+) nonce (\d+)\)")
# the same line's preference key (node.pipeline): evidence block, then evidence hash
SIGNED_KEY = re.compile(r"signed share for digest 0x([0-9a-f]+) \(protocol 0x([0-9a-f]+) nonce "
                        r"(\d+)\) evidence block (\d+) hash 0x([0-9a-f]+)")


@dataclass
class Outcome:
    scenario: str
    expected: str
    contained: bool = False
    ok: bool = False  # observed what was expected
    observed: str = ""
    blocks_to_containment: int | None = None
    seconds_to_containment: int | None = None
    authorize_sent: int = 0
    authorize_reverted: int = 0
    blamed: list[int] = field(default_factory=list)
    blame_reasons: dict[str, list[str]] = field(default_factory=dict)
    crashes: int = 0
    lost_shares: int = 0
    double_signed: int = 0
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def measure(net, out: Outcome, result: AttackResult | None, honest: list[int],
            from_block: int | None = None) -> Outcome:
    """Fill `out` from the chain, the honest guardians' /status and every guardian's log."""
    w3 = net.w3()
    head = w3.eth.block_number
    if result is not None:
        out.contained = result.contained
        first = result.first_attack_block
        if result.contained and first is not None:
            out.blocks_to_containment = result.containment_block - first
            out.seconds_to_containment = (w3.eth.get_block(result.containment_block)["timestamp"]
                                          - w3.eth.get_block(first)["timestamp"])
        from_block = first if from_block is None else from_block
    start = from_block if from_block is not None else net.doc["deployment"]["deploy_block"]
    txs = authorize_transactions(w3, net.doc["deployment"]["oracle"], start, head)
    out.authorize_sent, out.authorize_reverted = txs["authorize_sent"], txs["authorize_reverted"]
    blame = blamed_by(net, honest)
    out.blamed = sorted(int(g) for g in blame)
    out.blame_reasons = {g: sorted(r) for g, r in sorted(blame.items())}
    out.crashes = sum(net.note_crashes().values())
    out.double_signed = double_signed(net, honest)
    out.lost_shares = lost_shares(net, honest)
    return out


def blamed_by(net, honest: list[int]) -> dict[str, set[str]]:
    """guardian -> reasons, as the honest guardians' /status names them: their blame ledger,
    members among their p2p offenders, and live guardians silent on a combined incident."""
    peers = {p: str(i) for i, p in enumerate(_peer_ids(net), 1)}
    out: dict[str, set[str]] = {}
    for index, status in net.statuses().items():
        if index not in honest or not status:
            continue
        for guardian, reasons in (status.get("blamed") or {}).items():
            out.setdefault(guardian, set()).update(reasons)
        for offender in (status.get("p2p") or {}).get("top_offenders", []):
            guardian = peers.get(offender.get("peer"))
            if guardian is not None and guardian != str(index):
                why = "p2p: " + (offender.get("last_reason") or "offences")[:60]
                out.setdefault(guardian, set()).add(why)
        for silent in (status.get("silent") or {}).values():
            for guardian in silent:
                out.setdefault(str(guardian), set()).add("silent: no share for a combined "
                                                         "incident")
    return out


def _peer_ids(net) -> list[str]:
    import json

    doc = json.loads((net.run_dir / "guardian-set.json").read_text())
    return list(doc.get("peer_ids") or [])


def signed_digests(net, i: int) -> dict[tuple[str, int], set[str]]:
    """(protocol, nonce) -> digests guardian `i` logged signing a share for."""
    out: dict[tuple[str, int], set[str]] = {}
    try:
        text = net.log_path(i).read_text(errors="replace")
    except OSError:
        return out
    for digest, protocol, nonce in SIGNED.findall(text):
        out.setdefault((protocol, int(nonce)), set()).add(digest)
    return out


def double_signed(net, honest: list[int]) -> int:
    """Honest guardians that signed two digests of one incident where the later was not a better
    report. Signing a strictly better report (earlier evidence, then lower evidence hash: the
    pipeline's convergence rule) is how competing detections of one incident merge, e.g. a new
    contract's probe and the pending attack; anything else is equivocation."""
    return sum(1 for i in honest if not _signed_in_preference_order(net, i))


def _signed_in_preference_order(net, i: int) -> bool:
    try:
        text = net.log_path(i).read_text(errors="replace")
    except OSError:
        return True
    last: dict[tuple[str, int], tuple[int, bytes]] = {}
    for match in SIGNED_KEY.finditer(text):
        _digest, protocol, nonce, block, ev_hash = match.groups()
        key, incident = (int(block), bytes.fromhex(ev_hash)), (protocol, int(nonce))
        # a better report we signed had stalled (node.pipeline): the fresher one replaces it
        replaces = text.startswith(f" {REPLACES_STALLED}", match.end())
        if incident in last and not key < last[incident] and not replaces:
            return False
        last[incident] = key
    # a line without the key (an older node): at most one digest per incident
    return all(len(d) <= 1 for (p, n), d in signed_digests(net, i).items() if (p, n) not in last)


def lost_shares(net, honest: list[int]) -> int:
    """Honest guardians whose logged share no other honest guardian's /status shows having."""
    held: dict[str, set[int]] = {}
    for index, status in net.statuses().items():
        if index not in honest or not status:
            continue
        for info in (status.get("incidents") or {}).values():
            digest = (info.get("digest") or "")[2:14]
            for g in info.get("shares_from") or []:
                if g != index:
                    held.setdefault(digest, set()).add(g)
    if not held:
        return 0
    lost = 0
    for i in honest:
        for digests in signed_digests(net, i).values():
            if any(d[:12] in held and i not in held[d[:12]] for d in digests):
                lost += 1
    return lost
