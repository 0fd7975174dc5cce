"""A TCP proxy the fault suite puts between processes (a guardian and anvil, or two guardians):
it forwards bytes both ways and, on command, drops every connection, refuses new ones, delays
what flows, or holds back one direction. Threads only, so it runs beside trio-free test code.

    proxy = TcpProxy(upstream_port)          # listens on a free loopback port
    proxy.start(); proxy.port                # point the client at it
    proxy.drop()                             # close every open connection (a WebSocket drops)
    proxy.refuse(); ...; proxy.accept()      # ECONNREFUSED in between (the listener is closed)
    proxy.delay = 2.0                        # every chunk arrives 2 s late, in order
    proxy.blocked = True                     # the client connects but nothing flows (split)
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
from collections.abc import Callable

Rewrite = Callable[[bytes], bytes]


class _Pipe:
    """One direction of one connection: read, wait out the delay, write."""

    def __init__(self, proxy: TcpProxy, src: socket.socket, dst: socket.socket,
                 downstream: bool) -> None:
        self.proxy, self.src, self.dst, self.downstream = proxy, src, dst, downstream
        self._queue: list[tuple[float, int, bytes]] = []
        self._seq = 0
        self._cv = threading.Condition()
        self._closed = False

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                chunk = self.src.recv(65536)
                if not chunk:
                    break
                hook = self.proxy.rewrite_down if self.downstream else self.proxy.rewrite_up
                if hook is not None:
                    chunk = hook(chunk)
                with self._cv:
                    self._seq += 1
                    heapq.heappush(self._queue, (time.monotonic() + self.proxy.delay,
                                                 self._seq, chunk))
                    self._cv.notify()
        except OSError:
            pass
        with self._cv:
            self._closed = True
            self._cv.notify()

    def _write(self) -> None:
        try:
            while True:
                with self._cv:
                    while not self._queue and not self._closed:
                        self._cv.wait(0.5)
                    if not self._queue:
                        break
                    due, _, chunk = self._queue[0]
                    wait = due - time.monotonic()
                    if wait > 0 or self.proxy.blocked:
                        self._cv.wait(min(max(wait, 0.01), 0.2))
                        continue
                    heapq.heappop(self._queue)
                self.dst.sendall(chunk)
        except OSError:
            pass
        for sock in (self.src, self.dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1",
                 port: int = 0, listen_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listen_host = listen_host
        self.port = port
        self.delay = 0.0
        self.blocked = False
        self.rewrite_up: Rewrite | None = None    # client -> upstream bytes
        self.rewrite_down: Rewrite | None = None  # upstream -> client bytes
        self.connections = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.listen_host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept_loop, args=(sock,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: refuse() or stop()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open.update((client, server))
                self.connections += 1
            _Pipe(self, client, server, downstream=False).start()
            _Pipe(self, server, client, downstream=True).start()

    def drop(self) -> None:
        """Close every open connection (both ends); new ones are still accepted."""
        with self._lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def refuse(self) -> None:
        """Close the listener (connects now fail with ECONNREFUSED) and every open connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept() (Linux);
                self._listener.shutdown(socket.SHUT_RDWR)  # close() alone would not
            self._listener.close()
            self._listener = None
        self.drop()

    def accept(self) -> None:
        """Listen again on the same port after `refuse`."""
        if self._listener is None and not self._stopped:
            self._listen()

    def stop(self) -> None:
        self._stopped = True
        self.refuse()
