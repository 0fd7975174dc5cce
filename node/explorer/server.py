"""Serving the explorer: the node's own small HTTP server (`node.status_server`: deadlines and
size limits per connection) with the explorer's routes: `/` the page, `/containment/<tx>` one
containment with its audit and evidence, `/snapshot.json` (also `/status`) the data."""

from __future__ import annotations

import json
import re

import trio

from node.explorer.page import render_containment, render_index
from node.explorer.snapshot import Explorer
from node.status_server import StatusServer

_TX = re.compile(r"^/containment/(0x[0-9a-fA-F]{64})$")
HTML = "text/html; charset=utf-8"


class ExplorerRoutes:
    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer

    def __call__(self, path: str) -> tuple[str, bytes, str] | None:
        snap = self.explorer.snapshot
        if path in ("/", "/index.html"):
            return "200 OK", render_index(snap), HTML
        if path == "/snapshot.json":
            return "200 OK", json.dumps(snap, indent=2).encode(), "application/json"
        if path.startswith("/containment/"):
            found = _TX.match(path)
            if not found:
                return "400 Bad Request", b"a containment is named by its 0x tx hash\n", \
                    "text/plain"
            row = next((c for c in snap.get("containments") or []
                        if c["tx"] == found.group(1).lower()), None)
            if row is None:
                return "404 Not Found", b"no such containment (yet)\n", "text/plain"
            return "200 OK", render_containment(row), HTML
        return None


async def serve(explorer: Explorer, host: str, port: int, period: float,
                task_status=trio.TASK_STATUS_IGNORED) -> None:
    server = StatusServer(host, port, lambda: explorer.snapshot, lambda: b"",
                          routes=[ExplorerRoutes(explorer)])
    async with trio.open_nursery() as nursery:
        nursery.start_soon(explorer.run, period)
        bound = await nursery.start(server.run)
        task_status.started(bound)
