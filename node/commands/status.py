"""`guardian status`: ask a running node for its status."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request

from node.commands import CommandError


def add_parser(sub) -> None:
    status = sub.add_parser("status", help="show the status of a running node",
                            description="Query a running node's status endpoint.")
    status.add_argument("--url", default="http://127.0.0.1:9100",
                        help="the node's [metrics] listen address (default %(default)s)")
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=_status)


def fetch_status(url: str, timeout: float = 3.0) -> dict:
    target = url.rstrip("/") + "/status"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310 - operator URL
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CommandError(f"no guardian node answers at {target}: {reason}") from exc
    except ValueError as exc:
        raise CommandError(f"{target} did not return JSON") from exc


def _status(args: argparse.Namespace) -> int:
    doc = fetch_status(args.url)
    print(json.dumps(doc, indent=2) if args.json else render(doc))
    return 0


def render(doc: dict) -> str:
    """The status as text. A containment whose hook failed is not a containment: it is shown as
    FAILED (with the oracle's reason), and a submission for it says so instead of reading like a
    success."""
    failed = doc.get("failed_containments") or {}
    lines = [f"guardian {doc.get('guardian')} ({doc.get('name')}): "
             f"{'ready' if doc.get('ready') else 'starting'}",
             f"  head block      {doc.get('head')}",
             f"  peers / mesh    {doc.get('peers')} / {doc.get('mesh_peers')}",
             f"  live guardians  {doc.get('live_guardians')}",
             f"  protocols       {doc.get('protocols')}",
             f"  incidents       {len(doc.get('incidents') or {})}"]
    for pid in doc.get("contained_protocols") or []:
        lines.append(f"  contained now   {pid}")
    for pid, failure in failed.items():
        failure = failure if isinstance(failure, dict) else {}
        lines.append(f"  FAILED          {pid}: the containment hook failed (action "
                     f"{failure.get('action')}): {failure.get('reason')}; NOT contained")
    for c in doc.get("contained") or []:
        outcome = ("the hook FAILED, not contained" if c.get("protocol") in failed
                   else "contained")
        lines.append(f"  submitted       {c.get('protocol')} in block {c.get('block')} "
                     f"(tx {c.get('tx')}): {outcome}")
    return "\n".join(lines)
