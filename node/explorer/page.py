"""Server-rendered HTML of the explorer's snapshot. Every value is escaped (guardians' answers
are untrusted); the page needs no JavaScript except for the timeline plots (`plot.py`)."""

from __future__ import annotations

import html
import json
import time

from node.explorer.plot import TIMELINE_JS
from protocol.digest import Action

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1200px;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d0d7de;
padding:.25em .5em;font-size:13px;text-align:left;vertical-align:top}th{background:#f6f8fa}
code{font-size:12px}.justified{color:#1a7f37;font-weight:bold}.not{color:#cf222e;
font-weight:bold}.missing{color:#9a6700;font-weight:bold}.down{color:#cf222e}"""


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def short(text: str | None, keep: int = 10) -> str:
    return e(text if not text or len(text) <= 2 * keep + 2 else f"{text[:keep + 2]}…{text[-6:]}")


def when(unix) -> str:
    return e(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))) if unix else ""


def verdict_html(audit: dict | None) -> str:
    if not audit:
        return '<span class="missing">not audited yet</span>'
    code = audit.get("exit_code")
    if code == 2:
        return ('<span class="missing" data-verdict="evidence not found">evidence not found: '
                'no guardian can produce it</span>')
    cls = {0: "justified", 1: "not"}.get(code, "missing")
    return f'<span class="{cls}" data-verdict="{e(audit.get("verdict"))}">{e(audit.get("verdict"))}</span>'


def _action(value) -> str:
    try:
        return Action(int(value)).name.lower()
    except (ValueError, TypeError):
        return e(value)


def containments_table(rows: list[dict]) -> str:
    out = ["<table><tr><th>transaction</th><th>block</th><th>protocol</th><th>action</th>"
           "<th>hook</th><th>evidence</th><th>audit verdict</th><th>rule</th></tr>"]
    for c in rows:
        audit = c.get("audit") or {}
        out.append(
            f'<tr id="tx-{e(c["tx"])}" class="containment"><td><a href="/containment/{e(c["tx"])}">'
            f'<code>{short(c["tx"])}</code></a></td><td>{e(c["block"])}</td>'
            f'<td><code>{short(c["protocol_id"])}</code></td><td>{_action(c["action"])}</td>'
            f'<td>{"succeeded" if c["hook_succeeded"] else "FAILED"}</td>'
            f'<td><code>{short(c["evidence_hash"])}</code></td><td>{verdict_html(audit)}</td>'
            f'<td>{e(audit.get("rule") or audit.get("reason"))}</td></tr>')
    if not rows:
        out.append('<tr><td colspan="8">no containment yet</td></tr>')
    return "".join(out) + "</table>"


def incidents_html(rows: list[dict]) -> str:
    out = []
    for inc in rows:
        tl = inc.get("timeline") or []
        out.append(f'<h3>incident <code>{short(inc["evidence_hash"])}</code> ({e(inc.get("kind"))},'
                   f' protocol <code>{short(inc.get("protocol_id"))}</code>, nonce '
                   f'{e(inc.get("nonce"))}): {e(inc.get("state"))}</h3>'
                   f'<p>evidence held by guardians {e(inc.get("held_by"))}'
                   + (f'; contained by <a href="/containment/{e(inc["containment_tx"])}"><code>'
                      f'{short(inc["containment_tx"])}</code></a>' if inc.get("containment_tx")
                      else "") + "</p>")
        out.append(f"<div data-timeline='{e(json.dumps(tl))}'></div><table><tr><th>ms</th>"
                   "<th>event</th></tr>" + "".join(
                       f"<tr><td>{e(ev['t_ms'])}</td><td>{e(ev['what'])}</td></tr>" for ev in tl)
                   + "</table>")
    return "".join(out) or "<p>no incident recorded by any guardian</p>"


def registry_table(rows: list[dict]) -> str:
    out = ["<table><tr><th>protocol</th><th>state</th><th>policy</th><th>rules</th></tr>"]
    for p in rows:
        pol, r = p["policy"], p["rules"]
        out.append(
            f'<tr><td><code>{short(p["protocol_id"])}</code><br>target <code>{e(p["target"])}'
            f'</code><br>admin <code>{e(p["admin"])}</code></td><td>{e(p["status"])}<br>nonce '
            f'{e(p["nonce"])}, last release block {e(p["release_block"])}</td>'
            f'<td>{e(", ".join(pol["actions"]))} via {e(pol["hook"])}<br>at most '
            f'{e(pol["max_duration_s"])} s, cooldown {e(pol["cooldown_s"])} s</td>'
            f'<td>outflow {e(r["outflow_limit_bps"])} bps / {e(r["window_blocks"])} blocks; '
            f'one-block drop {e(r["balance_drop_bps"])} bps<br>monitored {e(r["monitored"])}'
            f'<br>tokens {e(r["tokens"])}<br>invariants {e(r["invariants"])}'
            f'<br>claims view {e(r.get("claims_view") or "none")}</td></tr>')
    return "".join(out) + "</table>"


def guardians_table(rows: list[dict]) -> str:
    out = ["<table><tr><th>guardian</th><th>status</th><th>head</th><th>peers / mesh</th>"
           "<th>hears</th><th>gossip p50 / p99 ms</th><th>p2p rejects / bans</th>"
           "<th>blamed</th></tr>"]
    for g in rows:
        if not g.get("up"):
            out.append(f'<tr><td>{e(g["url"])}</td><td class="down" colspan="7">down: '
                       f'{e(g.get("error"))}</td></tr>')
            continue
        out.append(f'<tr><td>{e(g["guardian"])} <small>{e(g["url"])}</small></td>'
                   f'<td>{"ready" if g["ready"] else "starting"}</td><td>{e(g["head"])}</td>'
                   f'<td>{e(g["peers"])} / {e(g["mesh_peers"])}</td>'
                   f'<td>{e(g["live_guardians"])}</td><td>{e(g["p50_ms"])} / {e(g["p99_ms"])}'
                   f'</td><td>{e(g["rejects"])} / {e(g["bans"])}</td><td>{e(g["blamed"])}</td></tr>')
    return "".join(out) + "</table>"


def _doc(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}'
            f'</title><meta http-equiv="refresh" content="10"><style>{STYLE}</style></head><body>'
            f'{body}<script>{TIMELINE_JS}</script></body></html>').encode()


def render_index(snap: dict) -> bytes:
    head = (f'<h1>Guardian Network explorer</h1><p>oracle <code>{e(snap.get("oracle"))}</code>, '
            f'chain {e(snap.get("chain_id"))}, head {e(snap.get("head"))}, threshold '
            f'{e(snap.get("threshold"))}; refreshed {when(snap.get("refreshed_at"))}</p>')
    if snap.get("error"):
        head += f'<p class="not">last refresh failed: {e(snap["error"])}</p>'
    body = (head + "<h2>Containments</h2>" + containments_table(snap.get("containments") or [])
            + "<h2>Incidents</h2>" + incidents_html(snap.get("incidents") or [])
            + "<h2>Registry</h2>" + registry_table(snap.get("protocols") or [])
            + "<h2>Guardians</h2>" + guardians_table(snap.get("guardians") or []))
    return _doc("Guardian Network explorer", body)


def render_containment(row: dict) -> bytes:
    audit = row.get("audit") or {}
    items = "".join(f"<tr><th>{e(k)}</th><td><code>{e(json.dumps(v) if isinstance(v, dict | list) else v)}"
                    f"</code></td></tr>" for k, v in audit.items())
    body = (f'<p><a href="/">explorer</a></p><h1>containment <code>{e(row["tx"])}</code></h1>'
            f'<p id="tx-{e(row["tx"])}" class="containment">audit verdict: {verdict_html(audit)}'
            f'</p><p>block {e(row["block"])} at {when(row.get("time"))}; evidence '
            f'<code>{e(row["evidence_hash"])}</code></p><table>{items}</table>')
    return _doc(f"containment {row['tx']}", body)
