"""Debian's headless `chromium`, to load the explorer as a person would: the DOM after its script
ran, and a screenshot. Each run gets a fresh profile directory, removed afterwards; networking
extras (sync, component updates, QUIC, background fetches) are off, so the browser talks only to
the page's own loopback address."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from node.errors import NodeError

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")
TIMEOUT_SECONDS = 90.0


class BrowserError(NodeError, RuntimeError):
    """chromium is missing or failed; the message says how."""


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(extra: list[str], url: str, scratch: Path) -> str:
    binary = find_chromium()
    if binary is None:
        raise BrowserError("chromium is not installed (Debian: apt-get install chromium)")
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=scratch))
    try:
        done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BrowserError(f"chromium did not finish within {TIMEOUT_SECONDS:.0f}s") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if done.returncode != 0:
        raise BrowserError(f"chromium exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def dump_dom(url: str, scratch: Path) -> str:
    """The page's DOM once loaded and its script has run."""
    return _run(["--virtual-time-budget=5000", "--dump-dom"], url, scratch)


def screenshot(url: str, out: Path, scratch: Path, size: str = "1280,1800") -> Path:
    _run(["--virtual-time-budget=5000", f"--window-size={size}", f"--screenshot={out}"], url,
         scratch)
    if not out.exists() or out.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError(f"chromium wrote no PNG screenshot at {out}")
    return out
