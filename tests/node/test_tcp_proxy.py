"""Issue 17: the fault suite's TCP proxy forwards both ways and, on command, drops connections,
refuses new ones until told to accept again, delays what flows, and holds it back."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from node.chaos.tcp_proxy import TcpProxy

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def echo():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)


def _roundtrip(port: int, payload: bytes = b"ping", timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


def test_forwards_refuses_and_accepts_again(echo):
    proxy = TcpProxy(echo).start()
    try:
        assert _roundtrip(proxy.port) == b"ping"
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            _roundtrip(proxy.port)
        proxy.accept()
        assert _roundtrip(proxy.port, b"back") == b"back"
    finally:
        proxy.stop()


def test_drop_closes_open_connections(echo):
    proxy = TcpProxy(echo).start()
    try:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        proxy.drop()
        assert sock.recv(10) == b""  # closed by the proxy
        sock.close()
    finally:
        proxy.stop()


def test_delay_and_block(echo):
    proxy = TcpProxy(echo).start()
    try:
        proxy.delay = 0.4
        started = time.monotonic()
        assert _roundtrip(proxy.port) == b"ping"
        assert time.monotonic() - started >= 0.8  # delayed on the way there and back
        proxy.delay = 0.0
        proxy.blocked = True
        with pytest.raises(TimeoutError):
            _roundtrip(proxy.port, timeout=0.5)
    finally:
        proxy.stop()
