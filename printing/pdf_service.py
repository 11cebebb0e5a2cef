"""PDFs rendered in a process of their own, so the web workers never load WeasyPrint.

``pos serve`` starts ``python -m printing.pdf_service SOCKET`` next to gunicorn and tells the
workers where it listens (``POS_PDF_SOCKET``). A worker sends the page (its HTML and base URL) over
the UNIX socket and gets the PDF's bytes back; WeasyPrint, Pango, fontconfig and the fonts (≈ 45 MB
once the first PDF is made) live only in that process, and a worker stays at its own size however
many PDFs it serves. The renderer answers several workers at once (a thread each, each with its own
font configuration: printing/pdf.py). If it is not there (not started, restarting after a crash), the
worker renders the PDF itself, as before: a PDF is never refused for it.

The wire: the request is a 4-byte big-endian length and a JSON header (``base_url``), then a 4-byte
length and the HTML (UTF-8); the answer is one byte (``0`` the PDF follows, ``1`` an error message
follows), a 4-byte length and the bytes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

SOCKET_ENV = "POS_PDF_SOCKET"
log = logging.getLogger("pos.pdf")


class RenderFailed(RuntimeError):
    """The renderer could not make this PDF (the document's fault, as it would be in-process)."""


def _send(sock: socket.socket, data: bytes) -> None:
    sock.sendall(struct.pack(">I", len(data)) + data)


def _receive(sock: socket.socket, limit: int = 256 * 1024 * 1024) -> bytes:
    size = struct.unpack(">I", _exactly(sock, 4))[0]
    if size > limit:
        raise ConnectionError("answer too large")
    return _exactly(sock, size)


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the renderer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def render_remote(path: str, html: str, base_url: str | None, *, timeout: float = 120) -> bytes | None:
    """The PDF from the renderer at ``path``; None when no renderer answers there (render it here)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(path)
        except OSError:
            return None
        try:
            _send(sock, json.dumps({"base_url": base_url}).encode())
            _send(sock, html.encode("utf-8"))
            status = _exactly(sock, 1)
            payload = _receive(sock)
        except (OSError, ConnectionError) as e:  # it died mid-way: nothing half-made is used
            log.warning("PDF renderer lost (%s): rendering in this worker", e)
            return None
    finally:
        sock.close()
    if status == b"\x00":
        return payload
    raise RenderFailed(payload.decode("utf-8", "replace"))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        from .pdf import html_to_pdf_here, release_memory

        sock = self.request
        try:
            header = json.loads(_receive(sock, 1024 * 1024))
            html = _receive(sock).decode("utf-8")
        except (OSError, ConnectionError, ValueError):
            return
        try:
            pdf = html_to_pdf_here(html, base_url=header.get("base_url"))
        except Exception as e:  # the document's fault: say so, keep serving
            log.exception("PDF failed")
            sock.sendall(b"\x01")
            _send(sock, f"{type(e).__name__}: {e}".encode())
            return
        self.server.rendered += 1  # counted before it is sent: the asker may look as soon as it has it
        try:
            sock.sendall(b"\x00")
            _send(sock, pdf)
        except OSError:
            pass
        finally:
            release_memory()


class Server(socketserver.UnixStreamServer):
    """Answers on a few long-lived threads (``threads``): each keeps its font configuration for its whole
    life (printing/pdf.py), where a thread per connection would build a new one for every PDF (≈ 20 ms
    and memory that is never given back)."""

    def __init__(self, path: str, threads: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.rendered = 0
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pdf")
        Path(path).unlink(missing_ok=True)
        super().__init__(path, _Handler)
        os.chmod(path, 0o600)  # the server's user only, like the instance folder

    def process_request(self, request, client_address) -> None:
        self.pool.submit(self._answer, request, client_address)

    def _answer(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one connection's trouble never stops the renderer
            log.exception("PDF request failed")
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def serve(path: str) -> None:
    """Run the renderer at ``path`` until killed, or until the server that started it is gone (killed
    outright, it could not stop it: like gunicorn's workers, the renderer then ends by itself)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parent = os.getppid()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphaned, name="parent-watch", daemon=True).start()
    with Server(path) as server:
        server.serve_forever()


class Supervisor:
    """Used by ``pos serve``: starts the renderer, starts it again if it ends, stops it at exit."""

    def __init__(self, path: str):
        self.path = path
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.owner = os.getpid()

    def start(self) -> None:
        self._spawn()
        threading.Thread(target=self._watch, name="pdf-renderer", daemon=True).start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not Path(self.path).exists():
            time.sleep(0.05)

    def _spawn(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "printing.pdf_service", self.path],
                                     cwd=str(Path(__file__).resolve().parent.parent))

    def _watch(self) -> None:
        while not self.stopping.is_set():
            code = self.proc.wait()
            if self.stopping.is_set():
                return
            log.error("PDF renderer ended (%s): starting it again", code)
            time.sleep(1)
            self._spawn()

    def stop(self) -> None:
        if os.getpid() != self.owner:
            # a gunicorn worker leaving unwinds the stack it was forked from, this call included:
            # only the server that started the renderer stops it
            return
        self.stopping.set()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        Path(self.path).unlink(missing_ok=True)


if __name__ == "__main__":
    serve(sys.argv[1])
