"""Browser tests: the real app under gunicorn on a free loopback port with a fresh
database, driven by Playwright through Debian's Chromium at tablet size."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

# A loaded 2-core CI machine (server, spooler, Chromium and pytest at once) can be slow:
# assertions wait up to 15 s before they fail (Playwright's default is 5 s).
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("POS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TABLET = {"width": 1024, "height": 768}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, folder: Path, template_db: Path, media_dir: Path, *, workers: int = 1):
        self.folder = folder
        shutil.copyfile(template_db, folder / "pos.sqlite3")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "POS_INSTANCE_PATH": str(folder),
            "POS_MEDIA_DIR": str(media_dir),
            "SECRET_KEY": "e2e-secret",
            "POS_IDLE_LOGOUT_MINUTES": "30",
        }
        env.pop("DATABASE_URL", None)
        self.env = env
        self.worker = None
        self.log = open(folder / "server.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pos.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers), "--threads", "4" if workers == 1 else "2"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + (folder / "server.log").read_text())
            time.sleep(0.2)

    def start_print_worker(self):
        """The spooler, as `make run` starts it next to the web server."""
        self.worker_log = open(self.folder / "worker.log", "w")
        self.worker = subprocess.Popen([sys.executable, "-m", "pos.cli", "print-worker", "--poll", "0.2"],
                                       env=self.env, stdout=self.worker_log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.worker.kill()
            self.worker_log.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, template_db, media_dir):
    server = LiveServer(tmp_path_factory.mktemp("live"), template_db, media_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "__").replace("[", "_").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def login_with_keypad(page, base_url: str, name: str, pin: str):
    """Tap the name tile, tap the PIN on the keypad, tap 登录."""
    # leave the screen first: its background polls (the manager's header counts), answered with a
    # redirect to the login page once the cookies are cleared, would race this navigation (ERR_ABORTED)
    page.goto("about:blank")
    page.goto(base_url + "/login")
    page.get_by_role("link", name=name).click()
    keypad = page.get_by_test_id("keypad")
    keypad.wait_for()
    for digit in pin:
        keypad.locator(f'button[data-key="{digit}"]').click()
    keypad.get_by_role("button", name="登录").click()


def clerk_with_two_lines(page, base_url: str):
    """张伟 at the counter with two lines added from the quick results (a water purifier, a TV);
    returns the search box."""
    login_with_keypad(page, base_url, "张伟", "1002")
    expect(page.get_by_test_id("voucher-panel")).to_be_visible()
    page.wait_for_load_state()  # htmx is loaded (deferred) before anything is typed
    search = page.get_by_placeholder("搜索，或扫条码直接加入")
    quick = page.get_by_test_id("quick-results")
    for i, q in enumerate(["净水器", "电视"], start=1):
        search.fill(q)
        expect(quick.locator("li").first).to_contain_text(q[:2])
        quick.locator("li").first.get_by_role("button").click()
        expect(page.get_by_test_id("line")).to_have_count(i)
    return search


def landed(page):
    """After logging in: wait until the person's landing screen is shown (a cashier lands on the cash
    desk, a clerk on the counter, a driver on their queue, a manager on the manager's home)."""
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()


def confirm_in_dialog(page, button: str):
    """An irreversible step asks in an in-page <dialog> (not the browser's confirm()): say yes."""
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()


def refuse_one(page, row, reason: str, serial: str = ""):
    """拒收一张 on a denomination's row: the dialog asks why (and the serial number)."""
    row.get_by_role("button", name="拒收一张").click()
    dialog = page.get_by_test_id("reject-dialog")
    expect(dialog).to_be_visible()
    if serial:
        dialog.get_by_label("冠字号（可不填）").fill(serial)
    dialog.get_by_role("button", name=reason).click()
    expect(dialog).to_be_hidden()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
