"""The devnet's explorer: a `guardian explorer` process over the devnet's chain and guardians,
its URL printed at start; at the end the containment's audit verdict as the explorer shows it,
the page loaded in headless chromium (when installed) with a screenshot in the run directory."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from node.devnet.processes import ProcessGroup
from node.explorer.browser import BrowserError, dump_dom, find_chromium, screenshot
from node.ports import free_ports

VERDICT_WAIT_SECONDS = 60.0


def start_explorer(group: ProcessGroup, doc: dict, rpc_url: str, run_dir: Path) -> str:
    port = free_ports(1)[0]
    argv = [sys.executable, "-m", "node.cli", "explorer", "--rpc", rpc_url,
            "--oracle", doc["deployment"]["oracle"], "--listen", f"127.0.0.1:{port}",
            "--from-block", str(doc["deployment"]["deploy_block"])]
    for url in doc["status_urls"].values():
        argv += ["--guardian", url]
    group.spawn("explorer", argv, run_dir / "logs" / "explorer.log")
    return f"http://127.0.0.1:{port}/"


def _audited(url: str, tx: str) -> dict | None:
    """The containment's final audit in the explorer's snapshot, or None (not there yet)."""
    try:
        with urllib.request.urlopen(url + "snapshot.json", timeout=3) as response:  # noqa: S310
            snap = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    for row in snap.get("containments") or []:
        audit = row.get("audit") or {}
        if row.get("tx") == tx and audit.get("exit_code") in (0, 1):
            return audit
    return None


def explorer_summary(url: str, tx: str | None, run_dir: Path) -> dict:
    out: dict = {"explorer": url}
    if not tx:
        return out
    out["containment_page"] = f"{url}containment/{tx}"
    deadline = time.monotonic() + VERDICT_WAIT_SECONDS
    audit = _audited(url, tx)
    while audit is None and time.monotonic() < deadline:
        time.sleep(0.5)  # the explorer refreshes on its own period (another process)
        audit = _audited(url, tx)
    out["containment_audit"] = audit["verdict"] if audit else "not audited within " \
        f"{VERDICT_WAIT_SECONDS:.0f}s"
    if audit:
        out["containment_rule"] = audit.get("rule")
    if find_chromium() is None:
        out["explorer_screenshot"] = "skipped: chromium is not installed"
        return out
    try:
        dom = dump_dom(url, run_dir)
        shown = f'id="tx-{tx}"' in dom and "data-verdict" in dom
        out["explorer_in_browser"] = ("containment shown with its verdict" if shown
                                      else "containment NOT shown")
        out["explorer_timeline_plot"] = "<svg" in dom
        out["explorer_screenshot"] = str(screenshot(url, run_dir / "explorer.png", run_dir))
    except BrowserError as exc:
        out["explorer_screenshot"] = f"failed: {exc}"
    return out
