"""Every screen a person's menu leads to, and the screens those link to, fit a phone (390×844): nothing
reaches past the screen's edge except inside a box that scrolls on its own (a wide table's
``.table-scroll``). The page hides its sideways overflow, so a column pushed past the edge would simply
be cut off, not scrollable."""

import functools
import re
import tempfile

import pytest
from flask import url_for

from pos import create_app, nav
from tests.e2e.conftest import landed, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e

#: the elements of the page's main part whose right edge is past the screen's, outside a scrolling box
PAST_THE_EDGE = """() => {
  const inBox = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const out = [];
  document.querySelectorAll('main *').forEach(el => { const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > window.innerWidth + 1 && !inBox(el))
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
               + ' → ' + Math.round(r.right) + 'px'); });
  return out.slice(0, 5); }"""


@functools.cache
def menu_paths() -> tuple[str, ...]:
    """The address of every screen in the menus (the endpoints that take no argument)."""
    paths = set()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": folder})
        with app.test_request_context():
            for item in nav.all_items():
                try:
                    paths.add(url_for(item.endpoint))
                except Exception:  # an endpoint that needs an id is reached from a list, not the menu
                    continue
    return tuple(sorted(paths))


def screens_linked_from(page) -> list[str]:
    """The pages the main part of this page links to (no downloads, no logging out)."""
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h.startswith("/") and "logout" not in h
            and not re.search(r"\.(pdf|xlsx|csv|png|zip)(\?|$)", h)]


@pytest.mark.parametrize(("name", "pin"), [("王建国", "9001"), ("赵敏", "2002"), ("刘强", "3001")])
def test_every_menu_screen_fits_a_phone(page, live_server, name, pin):
    login_with_keypad(page, live_server.url, name, pin)
    landed(page)
    page.set_viewport_size({"width": 390, "height": 844})
    seen, problems = 0, {}

    def check(path: str) -> bool:
        nonlocal seen
        resp = page.goto(live_server.url + path)
        if resp is None or resp.status != 200 or "text/html" not in (resp.headers.get("content-type") or ""):
            return False  # not this person's screen
        page.wait_for_load_state()
        seen += 1
        past = page.evaluate(PAST_THE_EDGE)
        if past or not no_sideways_scroll(page):
            problems[path] = past or ["the page scrolls sideways"]
        return True

    linked, shapes = [], set()
    for path in menu_paths():
        if check(path):
            for href in screens_linked_from(page):
                shape = re.sub(r"\d+", "N", href.split("?")[0])  # one voucher of the list stands for all
                if shape not in shapes:
                    shapes.add(shape)
                    linked.append(href)
    for href in linked[:80]:
        check(href)
    assert seen >= 1, seen
    assert not problems, problems
