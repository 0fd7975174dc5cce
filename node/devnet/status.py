"""Polling the guardians' /status endpoints (the devnet's view of its processes)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def fetch(url: str, timeout: float = 1.0) -> dict | None:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError, TimeoutError):
        return None


def fetch_all(urls: dict[int, str]) -> dict[int, dict | None]:
    with ThreadPoolExecutor(max_workers=min(16, max(1, len(urls)))) as pool:
        results = pool.map(lambda item: (item[0], fetch(item[1])), urls.items())
        return dict(results)
