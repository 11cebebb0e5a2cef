"""PDFs made by the renderer process (printing/pdf_service.py): the workers ask it over a UNIX socket,
render themselves when it is not there, and `pos serve`'s supervisor starts it again when it ends."""

from __future__ import annotations

import os
import threading
import time

import pytest

from printing import pdf, pdf_service

PAGE = ('<html lang="zh-CN"><head><style>@page { size: A5 landscape; margin: 10mm }'
        ' body { font-family: "Noto Sans CJK SC Print", "Noto Sans CJK SC" }</style></head>'
        "<body><p>购买方：上海测试装饰有限公司 价税合计 ￥1,130.00</p></body></html>")


@pytest.fixture()
def renderer(tmp_path, monkeypatch):
    path = str(tmp_path / "pdf.sock")
    server = pdf_service.Server(path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(pdf_service.SOCKET_ENV, path)
    yield server
    server.shutdown()
    server.server_close()


def test_a_pdf_is_made_by_the_renderer_when_there_is_one(renderer):
    made = pdf.html_to_pdf(PAGE)
    assert made.startswith(b"%PDF") and renderer.rendered == 1
    assert oct(os.stat(renderer.server_address).st_mode & 0o777) == "0o600"


def test_without_a_renderer_the_worker_makes_the_pdf_itself(tmp_path, monkeypatch):
    monkeypatch.setenv(pdf_service.SOCKET_ENV, str(tmp_path / "nobody.sock"))
    assert pdf.html_to_pdf(PAGE).startswith(b"%PDF")


def test_a_document_that_cannot_be_rendered_is_an_error_not_a_hang(renderer, monkeypatch):
    def broken(html, base_url=None):
        raise ValueError("bad document")

    monkeypatch.setattr(pdf, "html_to_pdf_here", broken)
    with pytest.raises(pdf_service.RenderFailed, match="bad document"):
        pdf_service.render_remote(renderer.server_address, PAGE, None)
    monkeypatch.undo()


def test_the_supervisor_starts_the_renderer_again_when_it_ends(tmp_path):
    supervisor = pdf_service.Supervisor(str(tmp_path / "pdf.sock"))
    supervisor.start()
    try:
        first = supervisor.proc
        assert pdf_service.render_remote(supervisor.path, PAGE, None).startswith(b"%PDF")
        first.kill()
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            if supervisor.proc is not first:
                answer = pdf_service.render_remote(supervisor.path, PAGE, None)
                if answer is not None:
                    break
            time.sleep(0.2)
        assert answer is not None and answer.startswith(b"%PDF")
        assert supervisor.proc is not first and supervisor.proc.poll() is None
        # a gunicorn worker forked from the server unwinds the same stack when it leaves: its stop()
        # (another process) must leave the renderer alone
        owner, supervisor.owner = supervisor.owner, -1
        supervisor.stop()
        assert supervisor.proc.poll() is None and not supervisor.stopping.is_set()
        supervisor.owner = owner
    finally:
        supervisor.stop()
    assert supervisor.proc.poll() is not None and not os.path.exists(supervisor.path)


def test_the_renderer_ends_when_the_server_that_started_it_is_killed(tmp_path):
    """`pos serve` killed outright (SIGKILL) cannot stop its renderer: the renderer sees its parent
    gone and ends by itself instead of lingering."""
    import subprocess
    import sys

    path = tmp_path / "pdf.sock"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-m', 'printing.pdf_service', {str(path)!r}]);"
        "print(p.pid, flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.05)
    assert path.exists()
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{child}") and "Z" not in _state(child):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{child}") or "Z" in _state(child)


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
