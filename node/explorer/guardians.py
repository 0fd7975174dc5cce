"""The guardians as the explorer shows them: liveness and p2p health from each `/status`, and the
evidence each holds (`/evidence`). A guardian that does not answer is shown as down, never an
error of the page."""

from __future__ import annotations

import trio

from node.audit.fetch import get_json

TIMEOUT_SECONDS = 2.0


async def _get(url: str) -> dict | str:
    try:
        return await trio.to_thread.run_sync(get_json, url, TIMEOUT_SECONDS)
    except (OSError, ValueError) as exc:
        return str(exc)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


async def guardian_rows(urls: list[str]) -> tuple[list[dict], dict[str, dict]]:
    """(one row per guardian, each reachable guardian's evidence index by URL)."""
    rows, indexes = [], {}
    for url in urls:
        base = url.rstrip("/")
        status = await _get(base + "/status")
        if isinstance(status, str):
            rows.append({"url": base, "up": False, "error": status})
            continue
        p2p, delivery = _dict(status.get("p2p")), _dict(status.get("gossip_delivery"))
        contained = [c for c in status.get("contained") or [] if isinstance(c, dict)] \
            if isinstance(status.get("contained"), list) else []
        rows.append({"url": base, "up": True, "guardian": status.get("guardian"),
                     "ready": bool(status.get("ready")), "head": status.get("head"),
                     "peers": status.get("peers"), "mesh_peers": status.get("mesh_peers"),
                     "live_guardians": status.get("live_guardians") or [],
                     "p50_ms": delivery.get("p50_ms"), "p99_ms": delivery.get("p99_ms"),
                     "rejects": p2p.get("rejects", 0), "bans": p2p.get("bans", 0),
                     "blamed": status.get("blamed") or {},
                     "contained": contained})
        index = await _get(base + "/evidence")
        if isinstance(index, dict):
            indexes[base] = index
    return rows, indexes
