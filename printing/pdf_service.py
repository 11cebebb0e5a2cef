"""PDFs rendered in a process of their own, so the web workers never load WeasyPrint.

``pos serve`` starts ``python -m printing.pdf_service SOCKET`` next to gunicorn and tells the
workers where it listens (``POS_PDF_SOCKET``). A worker sends the page (its HTML and base URL) over
the UNIX socket and gets the PDF's bytes back; WeasyPrint, Pango, fontconfig and the fonts (≈ 45 MB
once the first PDF is made) live only in that process, and a worker stays at its own size however
many PDFs it serves. The renderer answers several workers at once (a thread each, each with its own
font configuration: printing/pdf.py). If it is not there (not started, restarting after a crash), the
worker renders the PDF itself, as before: a PDF is never refused for it.

The wire is ``multiprocessing.connection``'s messages (a length, then the bytes): the request is a
JSON header (``base_url``) and the HTML (UTF-8); the answer is one message, its first byte ``0``
(the PDF follows) or ``1`` (an error message follows).
"""

from __future__ import annotations

import json
import logging
import os
import socketserver
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Client, Connection
from pathlib import Path

SOCKET_ENV = "POS_PDF_SOCKET"
log = logging.getLogger("pos.pdf")


class RenderFailed(RuntimeError):
    """The renderer could not make this PDF (the document's fault, as it would be in-process)."""


def render_remote(path: str, html: str, base_url: str | None, *, timeout: float = 120) -> bytes | None:
    """The PDF from the renderer at ``path``; None when no renderer answers there (render it here)."""
    try:
        conn = Client(path, family="AF_UNIX")
    except OSError:
        return None
    try:
        conn.send_bytes(json.dumps({"base_url": base_url}).encode())
        conn.send_bytes(html.encode("utf-8"))
        if not conn.poll(timeout):
            raise TimeoutError(f"no answer in {timeout:.0f} s")
        answer = conn.recv_bytes()
    except (OSError, EOFError) as e:  # it died mid-way: nothing half-made is used
        log.warning("PDF renderer lost (%s): rendering in this worker", e)
        return None
    finally:
        conn.close()
    if answer[:1] == b"\x00":
        return answer[1:]
    raise RenderFailed(answer[1:].decode("utf-8", "replace"))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        from .pdf import html_to_pdf_here, release_memory

        conn = Connection(os.dup(self.request.fileno()))  # its own descriptor: socketserver closes the socket
        try:
            try:
                header = json.loads(conn.recv_bytes(1024 * 1024))
                html = conn.recv_bytes().decode("utf-8")
            except (OSError, EOFError, ValueError):
                return
            try:
                pdf = html_to_pdf_here(html, base_url=header.get("base_url"))
            except Exception as e:  # the document's fault: say so, keep serving
                log.exception("PDF failed")
                conn.send_bytes(b"\x01" + f"{type(e).__name__}: {e}".encode())
                return
            self.server.rendered += 1  # counted before it is sent: the asker may look as soon as it has it
            try:
                conn.send_bytes(b"\x00" + pdf)
            except OSError:
                pass
            finally:
                release_memory()
        finally:
            conn.close()


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
