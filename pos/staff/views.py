"""Login on the shared tablet (name tile + PIN keypad), password login, switching
user, the role homes, and the manager's staff screens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import nav
from ..audit.services import record
from ..errors import DomainError
from ..extensions import db, htmx
from ..web import address_bar, form_again, go, messages, show, transaction, valid
from . import services
from .forms import (
    DeactivateForm,
    EmptyForm,
    PasswordForm,
    PasswordLoginForm,
    PinLoginForm,
    ResetPinForm,
    RolesForm,
    StaffForm,
)
from .models import ROLES
from .permissions import any_staff, public, roles_required, user_may

bp = Blueprint("staff", __name__)

nav.register(nav.NavItem("staff.staff_list", nav._l("Staff"), "manager", icon="staff", order=80, in_header=False))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(staff) -> None:
    """Log ``staff`` in on this tablet. Someone else still logged in here is logged out everywhere
    (a PIN switch): a copy of their session cookie stops working."""
    if current_user.is_authenticated and current_user.id != staff.id:
        services.end_sessions(db.session, current_user._get_current_object())
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # the form token kept for this request was made from the session just cleared: the page this login
    # answers with (pos.web.show) gets one of the new session
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(staff)
    session.permanent = False


# ---------------------------------------------------------------- login
@bp.get("/login")
@public
def login():
    tiles = services.login_tiles(db.session)
    return render_template(
        "staff/login.html", tiles=tiles, next=_safe_next(request.args.get("next")),
        reason=request.args.get("reason"),
    )


@bp.get("/login/<int:staff_id>")
@public
def keypad(staff_id: int):
    staff = services.get(db.session, staff_id)
    form = PinLoginForm()
    template = "staff/_keypad.html" if htmx else "staff/keypad_page.html"
    return render_template(template, staff=staff, form=form, next=_safe_next(request.args.get("next")))


def _keypad_refused(e: DomainError):
    """A wrong or badly typed PIN: the keypad again, empty, with the message (the failed attempt
    was kept by the service; it survives the rollback)."""
    staff = services.get(db.session, request.view_args["staff_id"])
    template = "staff/_keypad.html" if htmx else "staff/keypad_page.html"
    then = _safe_next(request.form.get("next"))
    if not htmx:  # the keypad's own address in the address bar: a reload shows it, not the PIN sent again
        address_bar(url_for("staff.keypad", staff_id=staff.id, next=then))
    form = form_again(e, lambda: PinLoginForm(formdata=None))
    return render_template(template, staff=staff, form=form, errors=messages(e), next=then)


@bp.post("/login/<int:staff_id>")
@public
@transaction(refused=_keypad_refused)
def pin_login(staff_id: int):
    services.get(db.session, staff_id)
    form = valid(PinLoginForm())
    staff = services.attempt_pin_login(db.session, staff_id, form.pin.data, client=request.remote_addr or "")
    _start_session(staff)
    landing = _landing()
    target = _safe_next(request.form.get("next")) or (url_for(landing) if landing else None)
    screen = _screen(target) if target else None
    if screen is None:
        return go(target or url_for("staff.home"))
    # the screen this person goes to (where the tablet was asked to go back to, else the one they start
    # on: the counter, the cash desk, the delivery queue) at once, drawn by its own view once the login is
    # committed (pos.web.show): the tablet was sent to the home, which sent it there — three round trips
    return show(target, lambda: _as_page(*screen))


def _landing() -> str | None:
    """The screen the logged-in person starts on, if their main role has one they may open."""
    landing = nav.ROLE_LANDING.get(nav.primary_role(current_user.roles))
    return landing if landing and user_may(landing) else None


def _screen(path: str) -> tuple[str, dict] | None:
    """The screen at ``path`` (its endpoint and arguments) if its view can draw it in the login's request:
    one of the screens people start on (``nav.ROLE_LANDING``: pages of their own, which read neither the
    request's form nor its method), without a query string, that this person may open. Else None (the
    tablet is sent there)."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import RequestRedirect

    parts = urlsplit(path)
    if parts.query or parts.fragment:
        return None
    try:
        endpoint, args = current_app.create_url_adapter(request).match(parts.path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    if endpoint not in nav.ROLE_LANDING.values() or not user_may(endpoint):
        return None
    return endpoint, args


def _as_page(endpoint: str, args: dict):
    """A GET screen's page, drawn by its view in this request (the header marks it as the screen shown)."""
    g.pos_shown_endpoint = endpoint
    return current_app.view_functions[endpoint](**args)


def _password_refused(e: DomainError):
    form = PasswordLoginForm()
    form.password.data = ""
    return render_template("staff/password_login.html", form=form, errors=messages(e))


@bp.get("/login/password")
@public
def password_login():
    return render_template("staff/password_login.html", form=PasswordLoginForm())


@bp.post("/login/password")
@public
@transaction(refused=_password_refused)
def password_login_check():
    form = valid(PasswordLoginForm())
    staff = services.attempt_password_login(db.session, form.staff_no.data, form.password.data,
                                            client=request.remote_addr or "")
    _start_session(staff)
    return go(_safe_next(request.args.get("next")) or url_for("staff.home"))


@bp.post("/logout")
@any_staff
@transaction()
def logout():
    """Switch user: one tap ends this person's session and shows the name tiles."""
    form = EmptyForm()
    if not form.validate():
        abort(400)
    record(db.session, "staff.logout", actor=current_user._get_current_object(), record=current_user)
    services.end_sessions(db.session, current_user._get_current_object())  # a copied cookie stops working too
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    # a hand-off on a shared tablet (the clerk's voucher → the cashier's payment of it): the next
    # person logs in straight onto that screen
    after = _safe_next(request.form.get("next"))
    return go(url_for("staff.login", next=after) if after else url_for("staff.login"))


@bp.post("/lang")
@public
def set_language():
    form = EmptyForm()
    if not form.validate():
        abort(400)
    code = request.form.get("lang", "")
    if code not in current_app.config["POS_LOCALES"]:
        abort(400)
    session["lang"] = code
    back = _safe_next(request.form.get("back")) or url_for("staff.home")
    return go(back)


# ---------------------------------------------------------------- homes
@bp.get("/")
@any_staff
def home():
    role = nav.primary_role(current_user.roles)
    if role is None:
        abort(403)
    landing = _landing()  # a cashier lands on the cash desk, a driver on their queue
    if landing:
        return redirect(url_for(landing))
    return redirect(url_for("staff.role_home", role=role))


@bp.get("/home/<role>")
@any_staff
def role_home(role: str):
    if role not in ROLES:
        abort(404)
    if role not in current_user.roles:
        abort(403)
    held = [r for r in nav.ROLE_PRIORITY if r in current_user.roles]
    # a manager may also work the counter and the cash desk: offer those screens too
    also = [] if role != "manager" else [
        (nav.ROLE_LABELS[r], nav.items_for_role(r)) for r in ("cashier", "clerk") if r not in held
    ]
    items = nav.items_for_role(role)
    waiting = {item.endpoint: nav.waiting(item.endpoint) for item in items}  # what waits behind each tile
    return render_template(
        "home.html", role=role, held=held, items=items,
        title=nav.ROLE_HOME_TITLES[role], also=also, waiting=waiting, waiting_labels=nav.WAITING_LABELS,
        home_lists=nav.home_lists(role),
    )


# ---------------------------------------------------------------- staff screens (manager)
@bp.get("/staff")
@roles_required("manager")
def staff_list():
    return render_template("staff/list.html", people=services.all_staff(db.session))


@bp.get("/staff/new")
@roles_required("manager")
def staff_new():
    return render_template("staff/new.html", form=StaffForm())


@bp.post("/staff/new")
@roles_required("manager")
@transaction(refused=lambda e: render_template("staff/new.html", form=form_again(e, StaffForm), errors=messages(e)))
def staff_create():
    form = valid(StaffForm())
    staff = services.create_staff(
        db.session, staff_no=form.staff_no.data, full_name=form.full_name.data,
        roles=form.roles.data or [], pin=form.pin.data, password=form.password.data or None,
        actor=current_user._get_current_object(),
    )
    flash(_("%(name)s was added.", name=staff.full_name), "success")
    return go(url_for("staff.staff_detail", staff_id=staff.id))


def _detail(staff, errors=None, **forms):
    context = {
        "pin_form": ResetPinForm(formdata=None),
        "password_form": PasswordForm(formdata=None),
        "roles_form": RolesForm(formdata=None, roles=sorted(staff.roles)),
        "deactivate_form": DeactivateForm(formdata=None),
        "empty_form": EmptyForm(formdata=None),
    }
    context.update(forms)
    return render_template("staff/detail.html", staff=staff, errors=errors or [], **context)


@bp.get("/staff/<int:staff_id>")
@roles_required("manager")
def staff_detail(staff_id: int):
    return _detail(services.get(db.session, staff_id))


def _detail_refused(form_name: str, form_class):
    """A change on a staff member's page refused: the page with the form as typed and the messages."""
    return lambda e: _detail(services.get(db.session, request.view_args["staff_id"]), messages(e),
                             **{form_name: form_again(e, form_class)})


def _changed(staff, message: str):
    flash(message, "success")
    return go(url_for("staff.staff_detail", staff_id=staff.id))


def me():
    return current_user._get_current_object()


@bp.post("/staff/<int:staff_id>/pin")
@roles_required("manager")
@transaction(refused=_detail_refused("pin_form", ResetPinForm))
def staff_reset_pin(staff_id: int):
    staff, form = services.get(db.session, staff_id), valid(ResetPinForm())
    services.reset_pin(db.session, staff, form.pin.data, actor=me())
    return _changed(staff, _("New PIN set for %(name)s.", name=staff.full_name))


@bp.post("/staff/<int:staff_id>/password")
@roles_required("manager")
@transaction(refused=_detail_refused("password_form", PasswordForm))
def staff_set_password(staff_id: int):
    staff, form = services.get(db.session, staff_id), valid(PasswordForm())
    services.set_password(db.session, staff, form.password.data, actor=me())
    return _changed(staff, _("New password set for %(name)s.", name=staff.full_name))


@bp.post("/staff/<int:staff_id>/roles")
@roles_required("manager")
@transaction(refused=_detail_refused("roles_form", RolesForm))
def staff_roles(staff_id: int):
    staff, form = services.get(db.session, staff_id), valid(RolesForm())
    services.change_roles(db.session, staff, form.roles.data or [], actor=me())
    return _changed(staff, _("Roles of %(name)s saved.", name=staff.full_name))


@bp.post("/staff/<int:staff_id>/deactivate")
@roles_required("manager")
@transaction(refused=_detail_refused("deactivate_form", DeactivateForm))
def staff_deactivate(staff_id: int):
    staff, form = services.get(db.session, staff_id), valid(DeactivateForm())
    services.deactivate(db.session, staff, actor=me(), reason=form.reason.data or "")
    return _changed(staff, _("%(name)s was deactivated.", name=staff.full_name))


@bp.post("/staff/<int:staff_id>/reactivate")
@roles_required("manager")
@transaction(refused=_detail_refused("empty_form", EmptyForm))
def staff_reactivate(staff_id: int):
    staff = services.get(db.session, staff_id)
    valid(EmptyForm())
    services.reactivate(db.session, staff, actor=me())
    return _changed(staff, _("%(name)s is active again.", name=staff.full_name))
