"""The templates' ``_()``, ``url_for`` and ``csrf_token()`` answer as Jinja's and Flask's own do
(issue 19: ≈ 370 strings, 260 addresses and 80 tokens a sale went through the request's proxies
each time): translated in the request's language, made safe where the template escapes, formatted
with its variables; the same address as Flask builds, for where the app is mounted; the request's
one token."""

from flask import render_template_string, url_for
from flask_babel import refresh
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from pos import _BUILT, _TRANSLATED

PAGE = ("{{ _('Payments') }}|{{ _('Wrong PIN. %(n)d tries left before the lock.', n=3) }}|"
        "{{ _('Cash & card') }}|{{ _('100%%') }}")


def test_strings_are_translated_in_the_requests_language_and_escaped(app):
    # Jinja's own newstyle gettext, for comparison: the same translations through three calls
    reference = app.jinja_env.overlay()
    reference.install_gettext_callables(
        gettext=lambda s: app.jinja_env.globals["pos_reference"](s), ngettext=None, newstyle=True)
    for language in ("zh_CN", "en"):
        with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
            from flask import session

            session["lang"] = language
            refresh()
            from pos import _request_translations

            app.jinja_env.globals["pos_reference"] = lambda s: _request_translations().ugettext(s)
            for _twice in range(2):  # the second time from what was remembered
                ours = render_template_string(PAGE)
                theirs = reference.from_string(PAGE).render(pos_translations=None)
                assert ours == theirs
            parts = ours.split("|")
            assert (parts[0] == "Payments") == (language == "en")  # Chinese in Chinese, English in English
            assert "3" in parts[1] and "%(n)d" not in parts[1]
            assert parts[2] == "Cash & card" and parts[3] == "100%"  # a translation is Markup, as in Jinja
    assert _TRANSLATED  # the strings without variables were remembered
    assert isinstance(next(iter(_TRANSLATED.values())), Markup)


def test_addresses_are_flasks_own_and_follow_where_the_app_is_mounted(app):
    page = ("{{ url_for('static', filename='css/app.css') }} {{ url_for('sales.voucher', no='V20261127-0001') }} "
            "{{ url_for('sales.voucher', no='V20261127-0002') }} {{ url_for('staff.login', next='/counter?q=冰箱') }}")
    for root in ("", "/shop"):
        with app.test_request_context("/", base_url=f"http://tablet.local{root}/"):
            expected = " ".join([url_for("static", filename="css/app.css"),
                                 url_for("sales.voucher", no="V20261127-0001"),
                                 url_for("sales.voucher", no="V20261127-0002"),
                                 url_for("staff.login", next="/counter?q=冰箱")])
            for _twice in range(2):  # the second time from what was remembered
                assert render_template_string(page) == expected
            assert all(part.startswith(f"{root}/") for part in render_template_string(page).split())
    assert any(key[0] == "/shop" for key in _BUILT) and any(key[0] == "" for key in _BUILT)


def test_the_page_carries_the_requests_one_token(app):
    with app.test_request_context("/"):
        page = render_template_string("{{ csrf_token() }} {{ csrf_token() }}")
        first, second = page.split()
        assert first == second == generate_csrf()


def test_a_rendered_page_asks_for_the_token_once(app, monkeypatch):
    """Through render_template (context processors and all: Flask-WTF's puts its own csrf_token in
    the page's context) the page's forms share one token, made once."""
    import flask_wtf.csrf

    made = []
    real = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", lambda *a, **k: made.append(1) or real(*a, **k))
    with app.test_request_context("/"):
        page = render_template_string("{{ csrf_token() }} {{ csrf_token() }} {{ csrf_token() }}")
        assert len(set(page.split())) == 1
        assert made == [1]


def test_every_modules_labels_and_helpers_are_in_every_template_without_a_context_processor(app):
    """The labels and helpers each module lends the templates are Jinja globals, put there once at
    start-up (pos.web.template_globals): no context processor makes them again for every page. Only
    what depends on the request (the language, the user, the day's state) is made per page."""
    page = ("{{ copies|length > 0 }}|{{ job_status_labels|length > 0 }}|{{ ticket_kinds|length > 0 }}|"
            "{{ grade_labels|length > 0 }}|{{ sc_wan is callable }}|{{ shift_invoices is callable }}|"
            "{{ blind_count is callable }}|{{ delivery_history(none) }}|{{ status_label is callable }}|"
            "{{ change_kinds|length > 0 }}|{{ quotation_status is callable }}|{{ lead_status|length > 0 }}|"
            "{{ import_outcomes|length > 0 }}|{{ mask_phone is callable }}|{{ rating_labels|length > 0 }}")
    with app.test_request_context("/"):
        assert render_template_string(page) == "|".join(["True"] * 7 + ["[]"] + ["True"] * 7)
    own = [f for funcs in app.template_context_processors.values() for f in funcs if f.__module__.startswith("pos")]
    assert sorted(f.__name__ for f in own) == ["day_state", "inject"]
