"""The showroom counter app. ``create_app`` is the only place that wires things."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from flask import Flask, flash, g, has_request_context, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh as flask_babel_refresh
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .config import LOCALES, load_settings
from .errors import DomainError
from .extensions import babel, csrf, db, htmx, login_manager, migrate
from .files import private_dir, private_sqlite

ROOT = Path(__file__).resolve().parent.parent


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """SQLite: WAL (readers never wait for the writer), foreign keys on, and let
    SQLAlchemy emit BEGIN itself so a read and the write after it share one transaction."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "")
        if mode == "IMMEDIATE" and options.get("sqlite_eager_lock"):
            _begin_eagerly(conn)
            return
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _begin_eagerly(conn) -> None:
    """``BEGIN IMMEDIATE`` asked for again every millisecond until the write lock is free, instead of
    SQLite's busy handler, which sleeps longer and longer (up to 100 ms a try) while busier writers
    take the lock before it: the print spooler's claim of a receipt queued behind 20 tablets' writes
    waited seconds. For the spooler's short transactions only. After the connection's busy timeout
    it gives up as SQLite would ("database is locked", wrapped as usual)."""
    import time as _time

    raw = conn.connection.dbapi_connection
    timeout_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = _time.monotonic() + timeout_ms / 1000
        while _time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    break  # let the usual path raise it
                _time.sleep(0.001)
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # once more, and its error as SQLAlchemy wraps it
    finally:
        raw.execute(f"PRAGMA busy_timeout={timeout_ms}")


def _import_models() -> None:
    """Every domain's models, so metadata (and Alembic) sees them all."""
    from .aftersales import models as _aftersales  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .cashier import models as _cashier  # noqa: F401
    from .catalog import models as _catalog  # noqa: F401
    from .customers import models as _customers  # noqa: F401
    from .delivery import models as _delivery  # noqa: F401
    from .invoicing import models as _invoicing  # noqa: F401
    from .printers import models as _printers  # noqa: F401
    from .property import models as _property  # noqa: F401
    from .property import sale_models as _property_sales  # noqa: F401
    from .reports import appraisal_models as _appraisal  # noqa: F401
    from .reports import models as _reports  # noqa: F401
    from .sales import models as _sales  # noqa: F401
    from .shop import models as _shop  # noqa: F401
    from .staff import models as _staff  # noqa: F401
    _import_customer_file()
    _import_return_visits()


def _import_return_visits() -> None:
    """Return visits and satisfaction (after-sales): their models, the listener that schedules a visit
    after a handover (pos.sales.after_handover) and the survey QR on the receipt (pos.cashier.documents)."""
    from .aftersales import survey as _survey  # noqa: F401
    from .aftersales import visit_models as _visit_models  # noqa: F401
    from .aftersales import visits as _visits  # noqa: F401


def _import_customer_file() -> None:
    """The customer file's models, and each domain above customers adding its entries to the customer's
    timeline (pos.customers.timeline: customers never imports them)."""
    from .aftersales import ticket_timeline as _t_tickets  # noqa: F401
    from .cashier import customer_timeline as _t_cashier  # noqa: F401
    from .customers import credit as _customer_credit  # noqa: F401
    from .customers import file as _customer_file_rules  # noqa: F401
    from .customers import file_models as _customer_file  # noqa: F401
    from .customers import leads as _customer_leads  # noqa: F401
    from .delivery import customer_timeline as _t_delivery  # noqa: F401
    from .invoicing import customer_timeline as _t_invoicing  # noqa: F401
    from .property import customer_timeline as _t_property  # noqa: F401
    from .sales import customer_timeline as _t_sales  # noqa: F401
    from .sales import quotation_models as _quotations  # noqa: F401
    from .sales import quotations as _quotation_rules  # noqa: F401
    from .sales import serial_models as _serials  # noqa: F401


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path(
        (config or {}).get("INSTANCE_PATH") or os.environ.get("POS_INSTANCE_PATH") or ROOT / "instance"
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    private_dir(instance_path)  # database, secret key, backups: the server's user only (0700)
    overrides = {k: v for k, v in (config or {}).items() if k != "INSTANCE_PATH"}
    app.config.update(load_settings(instance_path, overrides))
    _private_database(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["POS_LOCALES"] = LOCALES

    _import_models()
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .pgcursor import note_checkin, ping_when_cut, tune_connection  # psycopg: only where PostgreSQL is used

        with app.app_context():
            event.listen(db.engine, "connect", tune_connection)
            event.listen(db.engine, "checkout", ping_when_cut)
            event.listen(db.engine, "checkin", note_checkin)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: app.config["POS_TIMEZONE"])
    _init_login(app)

    from .staff.permissions import enforce

    # Order matters: who may use the route is decided before the CSRF check.
    # A request may run inside an app context pushed earlier (tests, CLI): start it
    # with a fresh locale rather than one cached outside the request.
    app.before_request(_start_request)
    app.before_request(_refuse_hostile_input)
    app.before_request(_idle_logout)
    app.before_request(enforce)
    csrf.init_app(app)

    app.teardown_request(_end_read)
    app.after_request(_security_headers)
    _register_blueprints(app)
    _register_errors(app)
    _register_template_helpers(app)
    from . import perf

    if perf.enabled():  # the load benchmark counts statements per request
        perf.install(app)
    return app


def app_view():
    """The view function the request is routed to (None for a 404)."""
    from flask import current_app

    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def _start_request():
    # Flask-Babel takes an empty ``g`` for "no context" and then translates nothing:
    # mark the request. A request that reuses an app context pushed earlier (tests,
    # scripts) must not see the locale or the user cached by an earlier request.
    g.pos_request = True
    g.pop("_login_user", None)
    flask_babel_refresh()
    view = app_view()
    batched = getattr(view, "pos_batched_writes", False)  # takes the lock per batch (pos.tx)
    writes = getattr(view, "pos_writes", False)  # only a view under pos.web.transaction can keep a write
    if (request.method not in ("GET", "HEAD", "OPTIONS") and writes and db.engine.dialect.name == "sqlite"
            and not batched and not db.session().in_transaction()):
        # SQLite: a request that writes takes the write lock at its first statement
        # (BEGIN IMMEDIATE), so what it reads cannot change before it writes.
        # Reads stay concurrent (WAL). PostgreSQL uses row locks instead. A POST that
        # only reads (the cashier's running tally, switching drafts) takes no lock.
        # Slow work goes before the lock: a PIN typed with the request is hashed first.
        from .staff.services import precheck_secrets

        precheck_secrets(request)
        db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    elif (request.method in ("GET", "HEAD") and request.endpoint not in (None, "static")
            and db.engine.dialect.name == "postgresql" and not db.session().in_transaction()):
        # PostgreSQL: a GET's transaction is BEGIN READ ONLY (the server refuses a write; GETs never
        # write: tests/core/test_get_writes_nothing.py) and ends with COMMIT (_end_read), not the
        # pool's ROLLBACK: psycopg forgets the statements it prepared on the server at every ROLLBACK,
        # and a statement is prepared (parsed and planned once) only after its fifth run.
        db.session.connection(execution_options={"postgresql_readonly": True})
        g.pos_read_only = True


def _end_read(exc):
    """The end of a GET's read-only transaction on PostgreSQL (see ``_start_request``): COMMIT."""
    if exc is None and g.pop("pos_read_only", False):
        session = db.session()
        if session.in_transaction():
            try:
                session.commit()
            except SQLAlchemyError:  # a read that failed and was answered (the database went away): nothing to keep
                session.rollback()


#: only the app's own scripts, styles, images and fonts; no inline script or style, no eval, no framing.
#: (htmx runs with includeIndicatorStyles and allowEval off: base.html's htmx-config.)
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "font-src 'self'",
    "connect-src 'self'", "media-src 'self' blob:", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _refuse_hostile_input():
    """No view sees a NUL, a control character or an oversized field (pos.text): a 400, nothing saved."""
    from .text import BadRequestInput, ids_out_of_range, request_problem

    if ids_out_of_range(request):
        from flask import abort

        abort(404)
    problem = request_problem(request)
    if problem:
        raise BadRequestInput(problem)


def _select_locale() -> str:
    from flask import current_app, has_request_context

    lang = session.get("lang") if has_request_context() else None
    if lang in LOCALES:
        return lang
    return current_app.config["POS_LOCALE"]


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_staff(user_id: str):
        """``"<id>:<session generation>"`` (Staff.get_id). A cookie made before the person logged out
        or the tablet switched to someone else carries an older generation: it no longer logs in.
        A bare id (cookies from before generations existed) counts as generation 0."""
        staff_id, _sep, generation = str(user_id).partition(":")
        if not staff_id.isdecimal() or not (generation or "0").isdecimal():
            return None
        from .staff.services import logged_in

        # the person and their roles: kept by this worker until a person or a role changes (pos.stamps)
        staff = logged_in(db.session, int(staff_id))
        if staff is None or not staff.active or (staff.session_gen or 0) != int(generation or "0"):
            return None
        return staff

    @login_manager.unauthorized_handler
    def unauthorized():
        from .web import go

        target = url_for("staff.login", next=request.full_path if request.method == "GET" else None,
                         reason=session.pop("_logout_reason", None))
        if htmx:
            return go(target)
        from flask import redirect

        return redirect(target)


def _private_database(uri: str) -> None:
    """A SQLite database file is created 0600 before SQLite creates it 0644."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        private_sqlite(url.database)


def _idle_logout():
    """Log out a person idle longer than ``POS_IDLE_LOGOUT_MINUTES`` (shared tablets)."""
    if request.endpoint in (None, "static"):
        return None
    from flask import current_app

    if not current_user.is_authenticated:
        return None
    now = time.time()
    limit = current_app.config["POS_IDLE_LOGOUT_MINUTES"] * 60
    last = session.get("last_seen")
    if last is not None and limit > 0 and now - float(last) > limit:
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        session["_logout_reason"] = "idle"
        flash(_("You were logged out after %(m)d minutes without use.",
                m=current_app.config["POS_IDLE_LOGOUT_MINUTES"]), "info")
        return None  # the permission check that follows sends them to the login screen
    view = current_app.view_functions.get(request.endpoint)
    if last is not None and getattr(view, "pos_background", False):
        return None  # polling is not activity: it must not defeat the idle logout
    if last is None or now - float(last) >= LAST_SEEN_EVERY:
        # not at every tap: a changed session is signed and sent again as a cookie with every answer
        session["last_seen"] = now
    return None


#: seconds between updates of the session's "last seen" (the idle logout counts in minutes)
LAST_SEEN_EVERY = 20


def _register_blueprints(app: Flask) -> None:
    from .aftersales.survey_views import bp as survey_bp
    from .aftersales.ticket_views import bp as tickets_bp
    from .aftersales.visit_views import bp as return_visits_bp
    from .audit.views import bp as audit_bp
    from .cashier.views import bp as cashier_bp
    from .catalog.views import bp as catalog_bp
    from .customers.file_views import bp as customers_bp
    from .customers.lead_views import bp as leads_bp
    from .customers.visit_views import bp as visitors_bp
    from .delivery.views import bp as delivery_bp
    from .invoicing.views import bp as invoicing_bp
    from .printers.views import bp as printers_bp
    from .property.agreement_views import bp as agreements_bp
    from .property.calculator import bp as mortgage_bp
    from .property.collection_views import bp as collections_bp
    from .property.commission_views import bp as commission_bp
    from .property.contract_views import bp as contracts_bp
    from .property.escrow_views import bp as escrow_bp
    from .property.opening_views import bp as opening_bp
    from .property.views import bp as property_bp
    from .reports.appraisal_views import bp as appraisal_bp
    from .reports.lead_report import bp as lead_report_bp
    from .reports.views import bp as reports_bp
    from .sales.quotation_views import bp as quotations_bp
    from .sales.views import bp as sales_bp
    from .shop.views import bp as shop_bp
    from .site_routes import bp as site_bp
    from .staff.views import bp as staff_bp

    app.register_blueprint(return_visits_bp)
    app.register_blueprint(survey_bp)
    for bp in (site_bp, staff_bp, audit_bp, catalog_bp, sales_bp, cashier_bp, invoicing_bp, delivery_bp,
               printers_bp, reports_bp, shop_bp, mortgage_bp, agreements_bp,
               escrow_bp, contracts_bp, collections_bp, property_bp, visitors_bp, customers_bp, leads_bp,
               lead_report_bp, quotations_bp, opening_bp,
               commission_bp, appraisal_bp):
        app.register_blueprint(bp)
    app.register_blueprint(tickets_bp)


def _register_errors(app: Flask) -> None:
    def answer(status: int, title: str, message: str):
        template = "errors/_error.html" if htmx else "errors/error.html"
        return render_template(template, status=status, title=title, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        db.session.rollback()
        return answer(e.status, _("That cannot be done"), e.message)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return answer(400, _("The page has expired"),
                      _("This form is out of date (security token missing or expired). "
                        "Reload the page and try again."))

    @app.errorhandler(400)
    def bad_request(e):
        return answer(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(e):
        return answer(403, _("Not allowed"), _("Your role may not open this screen."))

    @app.errorhandler(404)
    def not_found(e):
        return answer(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def not_allowed(e):
        return answer(405, _("Not allowed"), _("This address does not take that kind of request."))

    @app.errorhandler(413)
    def too_large(e):
        return answer(413, _("Too large"), _("The file is too large."))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return answer(500, _("Something went wrong"),
                      _("The server ran into a problem; nothing was saved. Try again or call the manager."))


def _request_translations():
    """This request's translations, looked up once: Flask-Babel's own template callables look them
    up again for every string (context, domain, locale, cache: ≈ 350 strings a sale). Kept where
    Flask-Babel's ``refresh`` and ``force_locale`` clear and restore them (``babel_translations``)."""
    from flask_babel import _get_current_context, get_translations

    ctx = _get_current_context()
    if ctx is None:
        return get_translations()
    found = getattr(ctx, "babel_translations", None)
    if found is None:
        found = ctx.babel_translations = get_translations()
    return found


def _install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = _template_gettext
    app.jinja_env.globals["url_for"] = _template_url_for
    app.jinja_env.globals["csrf_token"] = _template_csrf_token


def _template_csrf_token() -> str:
    """Flask-WTF's ``csrf_token()`` for templates: a page's forms (≈ 80 a sale) share the request's
    token, which ``generate_csrf`` keeps in ``g`` under its field name; made by it the first time."""
    from flask import current_app
    from flask_wtf.csrf import generate_csrf

    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return token if token is not None else generate_csrf()


#: addresses the templates built, by (script root, endpoint, arguments): ≈ 260 a sale, most of them the
#: same header links and static files on every page
_BUILT: dict = {}


def _template_url_for(endpoint: str, **values) -> str:
    """Flask's ``url_for`` for templates, remembering what it built: an address depends only on the
    endpoint, its arguments and where the app is mounted (the app builds no external addresses and
    has no URL defaults). Arguments that are not plain values are built every time."""
    if not has_request_context() or any(name.startswith("_") for name in values) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in values.values()):
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, *sorted(values.items()))
    built = _BUILT.get(key)
    if built is None:
        built = url_for(endpoint, **values)
        if len(_BUILT) > 5000:  # ids in addresses (vouchers, invoices) keep coming: start again
            _BUILT.clear()
        _BUILT[key] = built
    return built


#: a template string without variables, translated and made safe, by (translations, string, autoescape)
_TRANSLATED: dict = {}


@pass_context
def _template_gettext(context, string: str, **variables):
    """The templates' ``_()``, as Jinja's newstyle gettext does it (translated, made Markup where the
    template autoescapes, then ``% variables`` — always, so ``%%`` reads ``%``) in one call instead of
    three through the request's proxies (≈ 370 strings a sale): the translations come from the page's
    context (``pos_translations``, set once a render) and a string without variables is translated
    once per process and language."""
    translations = context.get("pos_translations") or _request_translations()
    autoescape = context.eval_ctx.autoescape
    if variables:
        text = translations.ugettext(string)
        return (Markup(text) if autoescape else text) % variables
    key = (translations, string, autoescape)
    done = _TRANSLATED.get(key)
    if done is None:
        text = translations.ugettext(string)
        done = (Markup(text) if autoescape else text) % {}
        if len(_TRANSLATED) > 20000:  # the templates hold ≈ 2,000 strings: only a leak of keys gets here
            _TRANSLATED.clear()
        _TRANSLATED[key] = done
    return done


def _register_template_helpers(app: Flask) -> None:
    from . import money, nav
    from .clock import format_local, local_today, utcnow
    from .staff.permissions import user_may

    app.jinja_env.filters["money"] = money.format_money
    app.jinja_env.filters["plain_money"] = money.format_plain
    app.jinja_env.filters["in_words"] = money.amount_in_words
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["qty"] = money.plain_number
    _install_template_gettext(app)

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        return {
            "pos_translations": _request_translations(),  # the templates' _() (_template_gettext)
            # Flask-WTF's context processor (run before this one) puts its own generate_csrf here, over
            # the global: every form of a page (≈ 80 a sale) would ask it again
            "csrf_token": _template_csrf_token,
            "user_may": user_may,
            "header_nav": lambda roles: nav.header_items(roles, user_may),
            "header_slots": nav.HEADER_SLOTS,
            "primary_role": nav.primary_role,
            "nav_items": nav.all_items,
            "role_labels": nav.ROLE_LABELS,
            "locale": "zh_CN" if getattr(get_locale(), "language", "zh") == "zh" else "en",
            "locales": LOCALES,
            "shop_name": app.config["POS_SHOP_NAME"] or _shop_name(),
            "idle_minutes": app.config["POS_IDLE_LOGOUT_MINUTES"],
            "shown_url": g.get("pos_shown_url"),  # a form answered with another page (pos.web.show)
            "shown_endpoint": g.get("pos_shown_endpoint"),  # … drawn by that page's own view
            "today": local_today,
            "utcnow": utcnow,
        }


def _shop_name() -> str:
    """The first showroom's name, as every page's header shows it: kept by the worker until a showroom
    changes (pos.shop.services.shop_name). Before `pos init` the table may not exist yet."""
    from .shop.services import shop_name

    try:
        name = shop_name(db.session)
    except Exception:
        db.session.rollback()
        return _("Showroom counter")
    return name or _("Showroom counter")
