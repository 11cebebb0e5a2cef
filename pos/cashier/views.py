"""The cashier station: open the shift, check a voucher, count and verify the cash,
take other tenders, announce, the stamped voucher and its copies, close the shift;
the manager's cheque clearance; refunds."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..errors import DomainError
from ..extensions import db, htmx
from ..money import format_money, to_fen
from ..qr import qr_svg
from ..sales import services as sales
from ..sales.models import PaymentState, Voucher
from ..shop import services as shop
from ..staff import services as staff_services
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import InvalidForm, go, pdf_response, show, template_globals, transaction, valid
from . import services
from .forms import CloseShiftForm, OpenShiftForm, RefundForm, TenderForm
from .models import DENOMINATIONS, Payment

bp = Blueprint("cashier", __name__)

nav.register(nav.NavItem("cashier.station", nav._l("Cash desk"), "cashier", icon="cash", order=10))
nav.register(nav.NavItem("cashier.shift_close", nav._l("Close shift"), "cashier", icon="chart", order=30,
                         in_header=False))
nav.register(nav.NavItem("cashier.cheques", nav._l("Cheques"), "manager", icon="receipt", order=30))

STATION_COOKIE = "pos_station"
COPIES = {
    "finance": nav._l("Finance copy (财务联)"),
    "stub": nav._l("Stub (存根联)"),
    "customer": nav._l("Customer copy (客户联)"),
}
REJECT_LABELS = {"counterfeit": nav._l("Counterfeit"), "damaged": nav._l("Too damaged")}


def me() -> Staff:
    return current_user._get_current_object()


def stamp_for(voucher: Voucher) -> Payment | None:
    """For any template: the live payment of a voucher, to draw its payment stamp (收款专用章)."""
    stamped = (PaymentState.PAID, PaymentState.AWAITING_CLEARANCE, PaymentState.REFUNDED)
    if voucher is None or voucher.payment_state not in stamped:
        return None
    return services.live_payment(db.session, voucher)


@bp.record_once
def _tell_the_printers(state):
    """The printer screens show the printer of the station where this person's shift is open."""
    from ..printers import STATION_OF

    state.app.extensions[STATION_OF] = lambda session, person: getattr(services.current_shift(session, person),
                                                                        "station_id", None)


template_globals(bp, payment_stamp=stamp_for, denominations=DENOMINATIONS,
                 denomination_label=services.denomination_label, tender_labels=services.TENDER_LABELS,
                 reject_labels=REJECT_LABELS, copies=COPIES)


# ------------------------------------------------------------------ the station and the shift
@bp.get("/cashier")
@roles_required("cashier")
def station():
    from ..printers import services as printers

    shift = services.current_shift(db.session, me())
    if shift is None:
        return render_template("cashier/open_shift.html", stations=shop.stations(db.session),
                               chosen=request.cookies.get(STATION_COOKIE, type=parse_id), counts={},
                               then_no=request.args.get("no", "")[:40])
    return render_template("cashier/station.html", shift=shift, summary=services.summarise(db.session, shift),
                           no=request.args.get("no", ""), badge=printers.badge(db.session, shift.station_id))


def _typed_counts() -> dict[int, str]:
    """The counts as typed, to show them again after a refusal."""
    return {d: request.form.get(f"count_{d}", "") for d in DENOMINATIONS}


@bp.post("/cashier/shift/open")
@roles_required("cashier")
@transaction(refused=lambda e: render_template(
    "cashier/open_shift.html", stations=shop.stations(db.session), chosen=request.form.get("station", type=parse_id),
    counts=_typed_counts(), error=e.message, then_no=(request.form.get("then_no") or "")[:40]))
def shift_open():
    form = valid(OpenShiftForm())
    shift = services.open_shift(db.session, cashier=me(), station_id=form.station.data, counts=form.counts())
    then_no = (request.form.get("then_no") or "").strip()[:40]  # a voucher waited: pay it next
    response = make_response(go(url_for("cashier.pay_open", no=then_no) if then_no else url_for("cashier.station")))
    response.set_cookie(STATION_COOKIE, str(shift.station_id), max_age=3600 * 24 * 365, samesite="Lax",
                        httponly=True)
    return response


@bp.route("/cashier/shift/close", methods=["GET", "POST"])
@roles_required("cashier")
@transaction(refused=lambda e: render_template(
    "cashier/close_shift.html", shift=services.current_shift(db.session, me()), counts=_typed_counts(),
    error=e.message))
def shift_close():
    shift = services.current_shift(db.session, me())
    if shift is None:
        flash(_("You have no open shift."), "info")
        return redirect(url_for("cashier.station"))
    if request.method == "GET":
        return render_template("cashier/close_shift.html", shift=shift, counts={})
    form = valid(CloseShiftForm())
    services.close_shift(db.session, shift, form.counts(), actor=me(), note=form.note.data)
    return go(url_for("cashier.shift_report", shift_id=shift.id))


@bp.get("/cashier/shifts/<int:shift_id>")
@roles_required("cashier")
def shift_report(shift_id: int):
    shift = services.get_shift_for(db.session, shift_id, me())
    return render_template("cashier/shift_report.html", shift=shift, summary=services.summarise(db.session, shift))


# ------------------------------------------------------------------ 查 数 验 唱
def _tally_of(voucher: Voucher) -> tuple[services.Tally, str | None]:
    """The running total of what the form counted, and the first thing wrong with the input (the
    form's parsing, then the tally's check), if anything."""
    form = TenderForm()
    if not form.validate():
        return services.tally(voucher.total), InvalidForm(form).message
    try:
        tally = services.tally(voucher.total, **form.tenders())
    except DomainError as e:
        return services.tally(voucher.total), e.message
    return tally, (tally.problems[0] if tally.problems else None)


def _pay_page(voucher: Voucher, **extra):
    # the page adds the running total up itself (static/js/tally.js): what is due and the most cash
    # one payment takes (the setting), in fen, as the payment checks them
    return render_template("cashier/pay.html", voucher=voucher, once_key=extra.pop("once_key", uuid.uuid4().hex),
                           form=request.form if request.method == "POST" else {}, due_fen=to_fen(voucher.total),
                           max_cash_fen=to_fen(shop.max_cash_tendered(db.session)), **extra)


@bp.get("/cashier/pay")
@roles_required("cashier")
def pay_open():
    """查: open a voucher by scanning its QR or typing its number."""
    no = (request.args.get("no") or "").strip()
    shift = services.current_shift(db.session, me())
    if shift is None:  # open the shift first, then this voucher
        return redirect(url_for("cashier.station", no=no) if no else url_for("cashier.station"))
    try:
        if not no:
            raise DomainError(_("Scan the voucher's QR code or type its number."))
        voucher = services.check_voucher(db.session, no)
    except DomainError as e:
        return render_template("cashier/station.html", shift=shift, summary=services.summarise(db.session, shift),
                               no=no, error=e.message), e.status
    return _pay_page(voucher, tally=services.tally(voucher.total))


@bp.post("/cashier/pay/<no>/tally")
@roles_required("cashier")
def pay_tally(no: str):
    """Live running total while the cashier counts (saves nothing)."""
    voucher = services.check_voucher(db.session, no)
    tally, error = _tally_of(voucher)
    return render_template("cashier/_tally.html", voucher=voucher, tally=tally, error=error)


def _pay_refused(e: DomainError):
    """The payment was refused: the pay screen again with what was counted and the message; the
    error page when the voucher itself cannot be paid any more."""
    try:
        voucher = services.check_voucher(db.session, request.view_args["no"])
    except DomainError:
        return render_template("errors/_error.html" if htmx else "errors/error.html", status=e.status,
                               title=_("That cannot be done"), message=e.message)
    return _pay_page(voucher, error=e.message, tally=_tally_of(voucher)[0], once_key=request.form.get("once_key", ""))


@bp.post("/cashier/pay/<no>")
@roles_required("cashier")
@transaction(refused=_pay_refused)
def pay(no: str):
    form = valid(TenderForm())
    payment = services.take_payment(db.session, no, cashier=me(), once_key=form.once_key.data, **form.tenders())
    # the announcement at once, drawn from the payment just made (pos.web.show), not fetched again
    return show(url_for("cashier.payment", payment_id=payment.id), lambda: _announcement(payment))


@bp.get("/cashier/payments/<int:payment_id>")
@roles_required("cashier")
def payment(payment_id: int):
    """唱收唱找: the announcement, the change in notes and coins, the stamped voucher."""
    return _announcement(services.get_payment(db.session, payment_id, shown=True))


def _announcement(p: Payment):
    breakdown, fen_left = services.change_breakdown(p.change_given)
    language = shop.announce_language(db.session)
    text = services.announcement(p.received, p.amount_due, p.change_given, language=language)
    return render_template("cashier/announce.html", p=p, v=p.voucher, text=text, breakdown=breakdown,
                           speak_lang="zh-CN" if language == "zh_CN" else "en-US",
                           fen_left=fen_left, qr=qr_svg(p.voucher.no))


@bp.get("/cashier/payments/<int:payment_id>/copy/<which>")
@roles_required("cashier")
def payment_copy(payment_id: int, which: str):
    """One of the three copies of the stamped voucher: finance, stub or customer."""
    if which not in COPIES:
        abort(404)
    p = services.get_payment(db.session, payment_id, shown=True)
    return render_template("cashier/copy.html", p=p, v=p.voucher, which=which, qr=qr_svg(p.voucher.no))


# ------------------------------------------------------------------ printing
def _shop_name() -> str:
    return shop.shop_name(db.session)


@bp.post("/cashier/payments/<int:payment_id>/print/<what>")
@roles_required("cashier")
@transaction()
def payment_print(payment_id: int, what: str):
    """Queue the receipt, or the three stamped copies, for the station's printer."""
    from ..printers import services as printers
    from .documents import COPY_NAMES, copy_document, receipt_document

    p = services.get_payment(db.session, payment_id)
    if what == "receipt":
        documents = [(receipt_document(p, _shop_name()), f"收款收据 {p.voucher.no}")]
    elif what == "copies":
        documents = [(copy_document(p, which, _shop_name()), f"销售凭证 {p.voucher.no} {name}")
                     for which, name in COPY_NAMES.items()]
    else:
        abort(404)
    printers.queue_from_screen(db.session, documents, kind="receipt" if what == "receipt" else "voucher",
                               ref=p.voucher.no, station_id=p.shift.station_id, requested_by=me())
    return go(url_for("cashier.payment", payment_id=p.id))


@bp.get("/cashier/payments/<int:payment_id>/receipt.pdf")
@roles_required("cashier")
def receipt_pdf(payment_id: int):
    p = services.get_payment(db.session, payment_id)
    height = 150 + 9 * len(p.voucher.lines) + 6 * len(p.tenders)
    return pdf_response("print/receipt_80mm.html", f"receipt-{p.voucher.no}.pdf", p=p, v=p.voucher,
                        qr=qr_svg(p.voucher.no), shop_name=_shop_name(), page_size=f"80mm {height}mm",
                        page_margin="4mm")


@bp.get("/cashier/shifts/<int:shift_id>.pdf")
@roles_required("cashier")
def shift_pdf(shift_id: int):
    shift = services.get_shift_for(db.session, shift_id, me())
    return pdf_response("print/shift_a4.html", f"shift-{shift.id}.pdf", shift=shift, page_size="A4",
                        summary=services.summarise(db.session, shift), shop_name=_shop_name())


def _blind(shift) -> bool:
    """While a shift is open its cashier sees no cash figures (a blind count at closing); a manager does."""
    return shift.is_open and "manager" not in current_user.roles


template_globals(bp, blind_count=_blind)


@bp.post("/cashier/shifts/<int:shift_id>/print")
@roles_required("cashier")
@transaction()
def shift_print(shift_id: int):
    from ..printers import services as printers
    from .documents import shift_document

    shift = services.get_shift_for(db.session, shift_id, me())
    document = shift_document(shift, services.summarise(db.session, shift), _shop_name(), blind=_blind(shift))
    printers.queue_from_screen(db.session, [(document, f"交班报表 {shift.station.name} #{shift.id}")], kind="shift",
                               ref=str(shift.id), station_id=shift.station_id, requested_by=me())
    return go(url_for("cashier.shift_report", shift_id=shift.id))


# ------------------------------------------------------------------ cheques (manager)
@bp.get("/cashier/cheques")
@roles_required("manager")
def cheques():
    return render_template("cashier/cheques.html", cheques=services.pending_cheques(db.session))


@bp.post("/cashier/cheques/<int:tender_id>")
@roles_required("manager")
@transaction(refused=lambda e: render_template("cashier/cheques.html", cheques=services.pending_cheques(db.session),
                                               error=e.message, error_for=request.view_args["tender_id"]))
def cheque_outcome(tender_id: int):
    outcome = request.form.get("outcome", "")
    tender = services.clear_cheque(db.session, tender_id, outcome, manager=me(), note=request.form.get("note", ""))
    if outcome == "cleared":
        flash(_("Cheque %(no)s cleared: the goods may be picked up.", no=tender.reference), "success")
    else:
        flash(_("Cheque %(no)s bounced: the voucher is unpaid again.", no=tender.reference), "info")
    return go(url_for("cashier.cheques"))


# ------------------------------------------------------------------ refunds
def _refund_page(voucher: Voucher, **extra):
    already = services.refunded_quantities(db.session, voucher)
    return render_template("cashier/refund.html", voucher=voucher, already=already,
                           managers=staff_services.managers(db.session),
                           once_key=extra.pop("once_key", uuid.uuid4().hex),
                           form=request.form if request.method == "POST" else {}, **extra)


@bp.get("/cashier/refund")
@roles_required("cashier")
def refund_open():
    no = (request.args.get("no") or "").strip()
    voucher = sales.get_by_no(db.session, no) if no else None
    if voucher is None:
        return render_template("cashier/refund_find.html")
    return _refund_page(voucher)


@bp.post("/cashier/refund/<no>")
@roles_required("cashier")
@transaction(refused=lambda e: _refund_page(sales.get_by_no(db.session, request.view_args["no"]), error=e.message,
                                            once_key=request.form.get("once_key", "")))
def refund(no: str):
    voucher = sales.get_by_no(db.session, no)
    form = valid(RefundForm())
    row = services.refund(db.session, no, form.quantities(voucher), method=form.method.data, reason=form.reason.data,
                          cashier=me(), approval=form.approval(), once_key=form.once_key.data,
                          serials={line.id: request.form.get(f"serials_{line.id}", "") for line in voucher.lines})
    flash(_("Refunded %(amount)s on voucher %(no)s.", amount=format_money(row.amount), no=voucher.no), "success")
    return go(url_for("cashier.station"))

