"""Incidents as the guardians recorded them, merged by evidence hash, each with its timeline:
detection, the report reaching each guardian, each guardian's share (first seen anywhere), the
combination (the t-th share at a guardian), the submission and the inclusion on chain, in
milliseconds from the detection. Times come from the guardians' own clocks (their stores), the
inclusion from the block's timestamp (whole seconds)."""

from __future__ import annotations

import trio

from node.audit.fetch import get_json

MAX_INCIDENTS = 20


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
        g = rec.get("guardian")
        incident = rec.get("incident") or {}
        reports = rec.get("reports") or []
        if any(r.get("origin") == "local" for r in reports) and incident.get("detected_at"):
            events.append((incident["detected_at"], f"guardian {g} detects and proposes"))
        elif reports:
            events.append((reports[0]["received_at"], f"report reaches guardian {g}"))
        times = sorted(s["received_at"] for r in reports for s in r.get("shares", []))
        for r in reports:
            for s in r.get("shares", []):
                shares[s["guardian"]] = min(shares.get(s["guardian"], s["received_at"]),
                                            s["received_at"])
        if threshold and len(times) >= threshold:
            events.append((times[threshold - 1], f"guardian {g} combines {threshold} shares"))
    events += [(t, f"share of guardian {g}") for g, t in shares.items()]
    if sent_unix:
        events.append((sent_unix, "authorize sent"))
    if included:
        events.append((float(included[1]), f"included in block {included[0]} (block time, whole s)"))
    if not events:
        return []
    events.sort()
    start = events[0][0]
    return [{"t_ms": round((t - start) * 1000), "what": what} for t, what in events]


async def incident_rows(indexes: dict[str, dict], containments: list[dict], statuses: list[dict],
                        threshold: int) -> list[dict]:
    holders: dict[str, list[str]] = {}
    latest: dict[str, dict] = {}
    for url, index in indexes.items():
        for entry in index.get("evidence") or []:
            h = entry.get("evidence_hash")
            if isinstance(h, str):
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
            "held_by": sorted(r.get("guardian") for r in records.values()),
            "containment_tx": contained["tx"] if contained else None,
            "timeline": timeline(records, threshold,
                                 sent.get((entry.get("protocol_id"), entry.get("nonce"))),
                                 (contained["block"], contained["time"]) if contained else None)})
    return rows
