"""Login on the shared tablet (name tile + PIN keypad), password login, switching
user, the role homes, and the manager's staff screens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import nav
from ..audit.services import record
from ..errors import DomainError
from ..extensions import db, htmx
from ..web import form_errors, go
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
from .permissions import any_staff, public, roles_required

bp = Blueprint("staff", __name__)

nav.register(nav.NavItem("staff.staff_list", nav._l("Staff"), "manager", icon="staff", order=80))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(staff) -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
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


@bp.post("/login/<int:staff_id>")
@public
def pin_login(staff_id: int):
    staff = services.get(db.session, staff_id)
    form = PinLoginForm()
    next_url = _safe_next(request.form.get("next"))
    template = "staff/_keypad.html" if htmx else "staff/keypad_page.html"
    if not form.validate():
        return render_template(template, staff=staff, form=form, errors=form_errors(form), next=next_url), 422
    try:
        staff = services.attempt_pin_login(db.session, staff_id, form.pin.data)
    except DomainError as e:
        db.session.refresh(staff)
        return render_template(template, staff=staff, form=PinLoginForm(formdata=None), errors=[e.message],
                               next=next_url), e.status
    db.session.commit()
    _start_session(staff)
    return go(next_url or url_for("staff.home"))


@bp.route("/login/password", methods=["GET", "POST"])
@public
def password_login():
    form = PasswordLoginForm()
    if request.method == "GET":
        return render_template("staff/password_login.html", form=form)
    if not form.validate():
        return render_template("staff/password_login.html", form=form, errors=form_errors(form)), 422
    try:
        staff = services.attempt_password_login(db.session, form.staff_no.data, form.password.data)
    except DomainError as e:
        form.password.data = ""
        return render_template("staff/password_login.html", form=form, errors=[e.message]), e.status
    db.session.commit()
    _start_session(staff)
    return go(_safe_next(request.args.get("next")) or url_for("staff.home"))


@bp.post("/logout")
@any_staff
def logout():
    """Switch user: one tap ends this person's session and shows the name tiles."""
    form = EmptyForm()
    if not form.validate():
        abort(400)
    record(db.session, "staff.logout", actor=current_user._get_current_object(), record=current_user)
    db.session.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return go(url_for("staff.login"))


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
    return render_template(
        "home.html", role=role, held=held, items=nav.items_for_role(role),
        title=nav.ROLE_HOME_TITLES[role], also=also,
    )


# ---------------------------------------------------------------- staff screens (manager)
@bp.get("/staff")
@roles_required("manager")
def staff_list():
    return render_template("staff/list.html", people=services.all_staff(db.session))


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required("manager")
def staff_new():
    form = StaffForm()
    if request.method == "GET":
        return render_template("staff/new.html", form=form)
    if not form.validate():
        return render_template("staff/new.html", form=form, errors=form_errors(form)), 422
    try:
        staff = services.create_staff(
            db.session, staff_no=form.staff_no.data, full_name=form.full_name.data,
            roles=form.roles.data or [], pin=form.pin.data, password=form.password.data or None,
            actor=current_user._get_current_object(),
        )
    except DomainError as e:
        db.session.rollback()
        return render_template("staff/new.html", form=form, errors=[e.message]), e.status
    db.session.commit()
    flash(_("%(name)s was added.", name=staff.full_name), "success")
    return go(url_for("staff.staff_detail", staff_id=staff.id))


def _detail(staff, status=200, errors=None, **forms):
    context = {
        "pin_form": ResetPinForm(formdata=None),
        "password_form": PasswordForm(formdata=None),
        "roles_form": RolesForm(formdata=None, roles=sorted(staff.roles)),
        "deactivate_form": DeactivateForm(formdata=None),
        "empty_form": EmptyForm(formdata=None),
    }
    context.update(forms)
    return render_template("staff/detail.html", staff=staff, errors=errors or [], **context), status


@bp.get("/staff/<int:staff_id>")
@roles_required("manager")
def staff_detail(staff_id: int):
    return _detail(services.get(db.session, staff_id))


def _staff_action(staff_id: int, form, form_name: str, action, done_message):
    staff = services.get(db.session, staff_id)
    if not form.validate():
        return _detail(staff, 422, form_errors(form), **{form_name: form})
    try:
        action(staff, form)
    except DomainError as e:
        db.session.rollback()
        staff = services.get(db.session, staff_id)
        return _detail(staff, e.status, [e.message], **{form_name: form})
    db.session.commit()
    flash(done_message(staff), "success")
    return go(url_for("staff.staff_detail", staff_id=staff.id))


@bp.post("/staff/<int:staff_id>/pin")
@roles_required("manager")
def staff_reset_pin(staff_id: int):
    return _staff_action(
        staff_id, ResetPinForm(), "pin_form",
        lambda s, f: services.reset_pin(db.session, s, f.pin.data, actor=current_user._get_current_object()),
        lambda s: _("New PIN set for %(name)s.", name=s.full_name),
    )


@bp.post("/staff/<int:staff_id>/password")
@roles_required("manager")
def staff_set_password(staff_id: int):
    return _staff_action(
        staff_id, PasswordForm(), "password_form",
        lambda s, f: services.set_password(db.session, s, f.password.data,
                                           actor=current_user._get_current_object()),
        lambda s: _("New password set for %(name)s.", name=s.full_name),
    )


@bp.post("/staff/<int:staff_id>/roles")
@roles_required("manager")
def staff_roles(staff_id: int):
    return _staff_action(
        staff_id, RolesForm(), "roles_form",
        lambda s, f: services.change_roles(db.session, s, f.roles.data or [],
                                           actor=current_user._get_current_object()),
        lambda s: _("Roles of %(name)s saved.", name=s.full_name),
    )


@bp.post("/staff/<int:staff_id>/deactivate")
@roles_required("manager")
def staff_deactivate(staff_id: int):
    return _staff_action(
        staff_id, DeactivateForm(), "deactivate_form",
        lambda s, f: services.deactivate(db.session, s, actor=current_user._get_current_object(),
                                         reason=f.reason.data or ""),
        lambda s: _("%(name)s was deactivated.", name=s.full_name),
    )


@bp.post("/staff/<int:staff_id>/reactivate")
@roles_required("manager")
def staff_reactivate(staff_id: int):
    return _staff_action(
        staff_id, EmptyForm(), "empty_form",
        lambda s, f: services.reactivate(db.session, s, actor=current_user._get_current_object()),
        lambda s: _("%(name)s is active again.", name=s.full_name),
    )
