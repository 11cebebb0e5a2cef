"""The customer file's screens (客户档案): search (by POST: no phone in a URL), one page per
customer with its timeline, the owner's and the manager's changes, merge, export and the grade rule."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..errors import DomainError
from ..extensions import db, htmx
from ..staff.permissions import roles_required
from ..web import go, refuse_to_page, template_globals, transaction, xlsx_response
from . import credit
from . import file as files
from .models import CHANNELS

bp = Blueprint("customers", __name__, url_prefix="/customers")

nav.register(nav.NavItem("customers.index", nav._l("Customers"), "clerk", icon="people", order=36))


def _me():
    return current_user._get_current_object()


template_globals(bp, grade_labels=files.GRADE_LABELS)


def _search_page(status: int = 200, results=None, typed=None, **extra):
    me = _me()
    context = dict(results=results, typed=typed or {}, grades=files.GRADES, **extra)
    if htmx and request.method == "POST" and request.endpoint == "customers.search":
        return render_template("customers/_results.html", **context), status  # the results panel only
    context.update(agents=files.agents(db.session), tags=files.all_tags(db.session), channels=CHANNELS)
    if me.has_role("manager"):
        context["rule"] = files.grade_rule(db.session)
    return render_template("customers/search.html", **context), status


@bp.get("/")
@roles_required("clerk")
def index():
    return _search_page()


@bp.post("/search")
@roles_required("clerk")
def search():
    """A search is a POST so that a phone number never appears in a URL (or a server log)."""
    form = request.form
    try:
        results = files.search(db.session, _me(), name=form.get("name", ""), phone=form.get("phone", ""),
                               grade=form.get("grade", ""), owner_id=form.get("owner_id", ""),
                               tag=form.get("tag", ""), key_only=bool(form.get("key_only")))
    except DomainError as e:
        return _search_page(e.status, typed=form, error=e.message, field=e.field)
    return _search_page(results=results, typed=form)


def _file_page(customer_id, status: int = 200, **extra):
    f = files.customer_file(db.session, customer_id, _me())
    standing = credit.standing(db.session, f.customer.id) if f.full else None
    return render_template("customers/file.html", f=f, c=f.customer, channels=CHANNELS, standing=standing,
                           credit_history=credit.history(db.session, f.customer.id) if f.full else [],
                           credit_grades=credit.GRADES,
                           agents=files.agents(db.session) if _me().has_role("manager") else [], **extra), status


@bp.get("/<int:customer_id>")
@roles_required("clerk")
def customer(customer_id: int):
    return _file_page(customer_id)


@bp.get("/<int:customer_id>/contact")
@roles_required("clerk")
def contact(customer_id: int):
    """The full phone and address (the owner and the manager only: 403 for anyone else)."""
    c = files.full_contact(db.session, customer_id, _me())
    return render_template("customers/_contact.html", c=c)


_refused = refuse_to_page(_file_page, "customer_id")


@bp.post("/<int:customer_id>/profile")
@roles_required("clerk")
@transaction(refused=_refused)
def profile(customer_id: int):
    form = request.form
    files.update_profile(db.session, customer_id, actor=_me(), name=form.get("name"), address=form.get("address"),
                         channel=form.get("channel"), needs=form.get("needs"), note=form.get("note"),
                         key_customer=(form.get("key_customer") == "1") if "key_customer_shown" in form else None)
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/tags")
@roles_required("clerk")
@transaction(refused=_refused)
def add_tag(customer_id: int):
    files.add_tag(db.session, customer_id, request.form.get("tag", ""), actor=_me())
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/tags/remove")
@roles_required("clerk")
@transaction(refused=_refused)
def remove_tag(customer_id: int):
    files.remove_tag(db.session, customer_id, request.form.get("tag", ""), actor=_me())
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/owner")
@roles_required("manager")
@transaction(refused=_refused)
def assign_owner(customer_id: int):
    files.assign_owner(db.session, customer_id, request.form.get("staff_id", ""), actor=_me())
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/merge")
@roles_required("manager")
@transaction(refused=_refused)
def merge(customer_id: int):
    files.merge(db.session, customer_id, request.form.get("merged_id", ""), actor=_me(),
                reason=request.form.get("reason", ""))
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/credit")
@roles_required("manager")
@transaction(refused=_refused)
def set_credit(customer_id: int):
    f = request.form
    credit.set_limit(db.session, customer_id, grade=f.get("grade", ""), limit=f.get("credit_limit", ""),
                     reason=f.get("reason", ""), actor=_me())
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/<int:customer_id>/credit/clear")
@roles_required("manager")
@transaction(refused=_refused)
def clear_credit_review(customer_id: int):
    credit.clear_review(db.session, customer_id, note=request.form.get("note", ""), actor=_me())
    return go(url_for("customers.customer", customer_id=customer_id))


@bp.post("/export")
@roles_required("manager")
@transaction(refused=lambda e: _search_page(e.status, rule_error=e.message))
def export():
    """The full customer list as .xlsx: the manager only, and the export is audited (a POST: it writes)."""
    return xlsx_response(files.export_xlsx(db.session, actor=_me()), "customers.xlsx")


@bp.post("/grade-rule")
@roles_required("manager")
@transaction(refused=lambda e: _search_page(e.status, rule_error=e.message, field=e.field, rule_typed=request.form))
def grade_rule():
    files.set_grade_rule(db.session, request.form, actor=_me())
    return go(url_for("customers.index"))


@bp.post("/regrade")
@roles_required("manager")
@transaction(refused=lambda e: _search_page(e.status, rule_error=e.message))
def regrade():
    counts = files.regrade_all(db.session, actor=_me())
    return _search_page(message=_("Grades recomputed: A %(a)s, B %(b)s, C %(c)s.", a=counts["A"], b=counts["B"],
                                  c=counts["C"]))
