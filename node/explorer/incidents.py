"""Incidents as the guardians recorded them, merged by evidence hash, each with its timeline:
detection, the report reaching each guardian, each guardian's share (first seen anywhere), the
combination (the t-th share at a guardian), the submission and the inclusion on chain, in
milliseconds from the detection. Times come from the guardians' own clocks (their stores and
`/status`): the inclusion is when the submitter saw the receipt, or else the block's timestamp
(whole seconds, the chain's clock)."""

from __future__ import annotations

import re

import trio

from node.audit.fetch import get_json

MAX_INCIDENTS = 20
_HASH = re.compile(r"^0x[0-9a-f]{64}$")


async def _records(evidence_hash: str, urls: list[str]) -> dict[str, dict]:
    out = {}
    for url in urls:
        try:
            out[url] = await trio.to_thread.run_sync(get_json,
                                                     f"{url}/evidence/{evidence_hash}", 2.0)
        except (OSError, ValueError):
            continue  # that guardian went away since its index answered
    return out


def timeline(records: dict[str, dict], threshold: int, sent_unix: float | None,
             included: tuple[int, int] | None) -> list[dict]:
    """Events [{t_ms, what}] sorted by time, t_ms from the earliest one."""
    events: list[tuple[float, str]] = []
    shares: dict[int, float] = {}
    for rec in records.values():
        try:
            _record_events(rec, threshold, events, shares)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # a guardian's malformed answer: its events are left out, not the page
    events += [(t, f"share of guardian {g}") for g, t in shares.items()]
    if sent_unix and isinstance(sent_unix, int | float):
        events.append((float(sent_unix), "authorize sent"))
    if included and not any(what.startswith("included") for _, what in events):
        # no submitter recorded its receipt: the block's own timestamp (whole seconds, the
        # chain's clock, not the guardians')
        events.append((float(included[1]), f"included in block {included[0]} (block time)"))
    if not events:
        return []
    events.sort()
    start = events[0][0]
    return [{"t_ms": round((t - start) * 1000), "what": what} for t, what in events]


def _record_events(rec: dict, threshold: int, events: list, shares: dict) -> None:
    """One guardian's /evidence answer as timeline events (and the shares it saw); all or
    nothing, every time a float (the answer is untrusted)."""
    g = int(rec["guardian"])
    incident = rec.get("incident") or {}
    reports = list(rec.get("reports") or [])
    mine: list[tuple[float, str]] = []
    if any(r.get("origin") == "local" for r in reports) and incident.get("detected_at"):
        mine.append((float(incident["detected_at"]), f"guardian {g} detects and proposes"))
    elif reports:
        mine.append((float(reports[0]["received_at"]), f"report reaches guardian {g}"))
    seen = [(int(x["guardian"]), float(x["received_at"])) for r in reports
            for x in r.get("shares") or []]
    times = sorted(t for _, t in seen)
    if threshold and len(times) >= threshold:
        mine.append((times[threshold - 1], f"guardian {g} combines {threshold} shares"))
    for r in reports:
        sub = r.get("submission") or {}
        if sub.get("status") == "confirmed" and sub.get("updated_at"):
            mine.append((float(sub["updated_at"]), f"included: receipt seen by guardian {g}"))
    events += mine
    for who, t in seen:
        shares[who] = min(shares.get(who, t), t)


async def incident_rows(indexes: dict[str, dict], containments: list[dict], statuses: list[dict],
                        threshold: int) -> list[dict]:
    holders: dict[str, list[str]] = {}
    latest: dict[str, dict] = {}
    for url, index in indexes.items():
        entries = index.get("evidence")
        for entry in entries if isinstance(entries, list) else []:
            h = entry.get("evidence_hash") if isinstance(entry, dict) else None
            if isinstance(h, str) and _HASH.match(h) and \
                    isinstance(entry.get("received_at"), int | float):
                holders.setdefault(h, []).append(url)
                latest.setdefault(h, entry)
    by_hash = {c["evidence_hash"]: c for c in containments}
    sent = {(c.get("protocol"), c.get("nonce")): c.get("sent_unix")
            for s in statuses for c in s.get("contained") or []}
    rows = []
    ordered = sorted(latest.items(), key=lambda kv: -(kv[1].get("received_at") or 0))
    for h, entry in ordered[:MAX_INCIDENTS]:
        records = await _records(h, holders[h])
        first = next(iter(records.values()), {})
        contained = by_hash.get(h)
        rows.append({
            "evidence_hash": h, "protocol_id": entry.get("protocol_id"),
            "nonce": entry.get("nonce"), "block_to": entry.get("block_to"),
            "kind": (first.get("decoded") or {}).get("kind_name"),
            "state": (first.get("incident") or {}).get("state"),
            "held_by": sorted({r.get("guardian") for r in records.values()
                               if isinstance(r.get("guardian"), int)}),
            "containment_tx": contained["tx"] if contained else None,
            "timeline": timeline(records, threshold,
                                 sent.get((entry.get("protocol_id"), entry.get("nonce"))),
                                 (contained["block"], contained["time"]) if contained else None)})
    return rows
