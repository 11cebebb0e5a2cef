"""A network printer on loopback for the tests: accepts raw TCP on a port, keeps what arrives."""

from __future__ import annotations

import socket
import threading


class FakePrinter:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[bytes] = []
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakePrinter:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        server.settimeout(0.2)
        self._server = server
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                if self._stop.is_set():  # stop only once nothing is waiting in the backlog
                    return
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                chunks = []
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
                self.received.append(b"".join(chunks))

    def stop(self):
        if self._server is not None:
            self._stop.set()
            self._thread.join(5)
            self._server.close()
            self._server = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
