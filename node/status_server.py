"""A small HTTP server for operators and tools: GET /metrics (Prometheus text) and GET /status
(JSON). Plain trio sockets, no framework; every connection has a deadline and a request size
limit, so a slow or hostile client cannot hold the node."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

import trio

log = logging.getLogger("guardian.status")

MAX_REQUEST_BYTES = 8192
REQUEST_TIMEOUT_SECONDS = 5.0


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


async def _read_request_line(stream: trio.SocketStream) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data:
        chunk = await stream.receive_some(1024)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            return None
    line = data.split(b"\n", 1)[0].decode("latin-1").strip()
    return line or None


class StatusServer:
    def __init__(self, host: str, port: int, status: Callable[[], dict],
                 metrics: Callable[[], bytes],
                 routes: Sequence[Callable[[str], tuple[str, bytes, str] | None]] = ()) -> None:
        self.routes = routes  # more GET routes: path -> (status, body, type), or None: not mine
        self.host = host
        self.port = port
        self.status = status
        self.metrics = metrics
        self.bound_port: int | None = None

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        self.bound_port = listeners[0].socket.getsockname()[1]
        log.info("status and metrics on http://%s:%d/ (/status, /metrics)", self.host,
                 self.bound_port)
        task_status.started(self.bound_port)
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, stream: trio.SocketStream) -> None:
        try:
            with trio.move_on_after(REQUEST_TIMEOUT_SECONDS):
                line = await _read_request_line(stream)
                await stream.send_all(self._route(line))
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        except Exception:  # noqa: BLE001 - a bad request must never take the node down
            log.exception("status request failed")
        finally:
            await trio.aclose_forcefully(stream)

    def _route(self, line: str | None) -> bytes:
        if line is None:
            return _response("400 Bad Request", b"bad request\n", "text/plain")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "GET":
            return _response("405 Method Not Allowed", b"GET only\n", "text/plain")
        path = parts[1].split("?", 1)[0]
        if path == "/metrics":
            return _response("200 OK", self.metrics(), "text/plain; version=0.0.4")
        if path == "/status":
            body = json.dumps(self.status(), indent=2, default=str).encode() + b"\n"
            return _response("200 OK", body, "application/json")
        for route in self.routes:
            if (found := route(path)) is not None:
                return _response(*found)
        return _response("404 Not Found", b"not found: try /status or /metrics\n", "text/plain")
