"""Every answer carries the security headers (a strict Content-Security-Policy, no framing, no MIME
sniffing, no referrer beyond the app), and no page template holds what that policy would block:
inline scripts, event-handler attributes, hx-on (htmx evaluates it), inline styles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: templates/print/ is rendered to PDF by WeasyPrint, never served as a page
PAGE_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "print" not in p.relative_to(TEMPLATES).parts[:1])


def _csp(resp) -> dict[str, str]:
    policy = resp.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("url", ["/login", "/static/js/app.js", "/catalog", "/no-such-page"])
def test_every_answer_carries_the_headers(as_clerk, url):
    resp = as_clerk.get(url)
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    csp = _csp(resp)
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["default-src"] == "default-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in resp.headers["Content-Security-Policy"]


def test_refusals_carry_them_too(client):
    resp = client.post("/login/password", data={"staff_no": "\x00"})
    assert resp.status_code == 400 and resp.headers["X-Frame-Options"] == "DENY"


def test_htmx_is_told_not_to_inject_styles_or_eval(client):
    body = client.get("/login").get_data(as_text=True)
    assert '"includeIndicatorStyles":false' in body and '"allowEval":false' in body


@pytest.mark.parametrize("path", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_or_style(path):
    text = path.read_text(encoding="utf-8")
    for tag in re.finditer(r"<script\b[^>]*>", text, re.I):
        assert "src=" in tag.group(0), f"inline <script> in {path.name}: move it to static/js/"
    assert not re.search(r"<style\b", text, re.I), f"<style> in {path.name}: move it to static/css/"
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), f"event-handler attribute in {path.name}"
    assert not re.search(r"\shx-on[:\-]", text), f"hx-on in {path.name} (htmx would eval it)"
    assert not re.search(r"\sstyle\s*=", text, re.I), f"style attribute in {path.name}"
    assert "javascript:" not in text.lower(), f"javascript: URL in {path.name}"
