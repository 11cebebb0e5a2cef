"""Quotations (报价单) — the rules.

A clerk builds a quotation from the catalogue like a voucher: lines at actual prices, checked
against the same discount limits (``discount_limit.<role>``); a price over the clerk's limit (or
above the list price) is allowed on a quotation but marks the line for the manager. Every
quotation is reviewed by the manager before it can be given: approved, or sent back with a note.
Only an approved quotation prints. The customer's answer is recorded: accepted, or declined with
the reason; past its validity date an approved quotation is expired and can no longer be
accepted. An accepted quotation still valid becomes a written-up sales voucher in one step at the
quoted prices (the reviewing manager's approval carried on the lines), stock checked then; the
quotation and the voucher point at each other (``quotation.voucher_id``; the voucher's note names
the quotation). Changing a quotation after submission makes a new version; the old one is kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..catalog import services as catalog
from ..clock import local_today
from ..customers import services as customers
from ..customers.timeline import Entry, register_timeline_source
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..money import FEN, format_money
from ..shop import services as shop
from ..staff.models import Staff
from ..staff.permissions import effective_roles
from . import services as sales
from .models import Voucher, VoucherLine, VoucherStatus
from .quotation_models import Quotation, QuotationLine, QuotationStatus

S = QuotationStatus
STATUS_LABELS = {
    S.DRAFT: _l("Draft"), S.SUBMITTED: _l("Waiting for review"), S.SENT_BACK: _l("Sent back"),
    S.APPROVED: _l("Approved"), S.ACCEPTED: _l("Accepted"), S.DECLINED: _l("Declined"),
    S.CONVERTED: _l("Became a voucher"), S.SUPERSEDED: _l("Replaced by a newer version"),
}
MAX_LINES = 50
MAX_VALID_DAYS = 180

KIND_LABELS.update({
    "sales.quotation_submitted": _l("Quotation submitted"),
    "sales.quotation_reviewed": _l("Quotation reviewed"),
    "sales.quotation_answered": _l("Quotation answered"),
    "sales.quotation_converted": _l("Quotation became a voucher"),
    "sales.quotation_revised": _l("Quotation revised"),
})
RECORD_LABELS.update({"quotation": _l("Quotation")})


def _find_or_register_customer(session: Session, **kw):
    return customers.find_or_register_customer(session, **kw)


def _valid_until(value, today: date | None = None) -> date:
    from ..text import parse_day

    today = today or local_today()
    day = parse_day(value, label=_("valid until"), field="valid_until")
    if day < today:
        raise DomainError(_("The validity date cannot be in the past."), field="valid_until")
    if (day - today).days > MAX_VALID_DAYS:
        raise DomainError(_("A quotation is valid for at most %(n)s days.", n=MAX_VALID_DAYS), field="valid_until")
    return day


def is_expired(q: Quotation, today: date | None = None) -> bool:
    return q.status in (S.APPROVED, S.ACCEPTED) and q.valid_until < (today or local_today())


def shown_status(q: Quotation) -> str:
    return str(_l("Expired")) if is_expired(q) else str(STATUS_LABELS[q.status])


def get(session: Session, quotation_id, viewer: Staff, *, for_update: bool = False) -> Quotation:
    """The quotation, for its clerk or a manager."""
    from ..text import parse_id

    stmt = select(Quotation).where(Quotation.id == (parse_id(quotation_id) or 0))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    q = session.scalar(stmt)
    if q is None:
        raise NotFound(_("No such quotation."))
    if q.clerk_id != viewer.id and not viewer.has_role("manager"):
        raise Forbidden(_("This quotation is another clerk's."))
    return q


def _number(session: Session, q: Quotation) -> None:
    day = shop.business_today(session)
    n = shop.next_number(session, "quotation", day)
    q.no = f"BJ{day:%Y%m%d}-{n:04d}"


def create(session: Session, *, actor: Staff, phone: str, name: str = "", valid_until, terms: str = "") -> Quotation:
    from ..text import check_text

    customers.refuse_if_taken(session, phone=phone, name=name, actor=actor)  # another name: offer theirs
    customer = _find_or_register_customer(session, phone=phone, name=name, actor=actor)
    q = Quotation(customer_id=customer.id, clerk_id=actor.id, valid_until=_valid_until(valid_until),
                  terms=check_text(terms, label=_("Terms"), max_len=2000, field="terms"), status=S.DRAFT,
                  total=Decimal("0"), no="")
    _number(session, q)
    session.add(q)
    session.flush()
    q.family_id = q.id
    return q


def _editable(session: Session, quotation_id, actor: Staff) -> Quotation:
    q = get(session, quotation_id, actor, for_update=True)
    if q.clerk_id != actor.id:
        raise Forbidden(_("Only the clerk who builds the quotation changes it."))
    if q.status != S.DRAFT:
        raise Conflict(_("This quotation was submitted: make a new version to change it."))
    return q


def _over_limit(session: Session, actor: Staff, list_price: Decimal, unit_price: Decimal) -> bool:
    if unit_price == list_price or actor.has_role("manager"):
        return False
    if unit_price > list_price:
        return True
    limit = shop.discount_limit(session, effective_roles(actor.roles))
    return sales.discount_percent(list_price, unit_price) > limit


def _recompute(q: Quotation) -> None:
    total = Decimal("0.00")
    for position, line in enumerate(q.lines, start=1):
        line.position = position
        line.amount = sales.line_amount(line.quantity, line.unit_price)
        total += line.amount
    q.total = total.quantize(FEN)


def add_line(session: Session, quotation_id, product_id, quantity="1", unit_price=None, *,
             actor: Staff) -> QuotationLine:
    q = _editable(session, quotation_id, actor)
    product = catalog.get_product(session, product_id)
    if not product.active:
        raise DomainError(_("%(name)s is no longer sold (inactive).", name=product.name), field="product")
    qty = sales.parse_quantity(product, quantity)
    price = product.list_price if unit_price in (None, "") else catalog.check_price(unit_price, field="unit_price")
    if price <= 0:
        raise DomainError(_("A quoted price must be more than zero."), field="unit_price")
    if len(q.lines) >= MAX_LINES:
        raise DomainError(_("A quotation has at most %(n)d lines.", n=MAX_LINES))
    line = QuotationLine(product_id=product.id, product_name=product.name, brand_name=product.brand.name,
                         model=product.model, spec=product.spec, unit=product.unit, quantity=qty,
                         list_price=product.list_price, unit_price=price, amount=sales.line_amount(qty, price),
                         over_limit=_over_limit(session, actor, product.list_price, price))
    q.lines.append(line)
    _recompute(q)
    session.flush()
    return line


def remove_line(session: Session, quotation_id, line_id, *, actor: Staff) -> None:
    from ..text import parse_id

    q = _editable(session, quotation_id, actor)
    line = next((x for x in q.lines if x.id == parse_id(line_id)), None)
    if line is None:
        raise NotFound(_("No such line."))
    q.lines.remove(line)
    _recompute(q)


def submit(session: Session, quotation_id, *, actor: Staff) -> Quotation:
    q = _editable(session, quotation_id, actor)
    if not q.lines:
        raise DomainError(_("Add at least one product before submitting the quotation."))
    if q.valid_until < local_today():
        raise DomainError(_("The validity date cannot be in the past."), field="valid_until")
    q.status, q.submitted_at = S.SUBMITTED, utcnow()
    record(session, "sales.quotation_submitted", actor=actor, record=q, summary=f"{q.no} {format_money(q.total)}")
    return q


def review(session: Session, quotation_id, *, actor: Staff, approve: bool, note: str = "") -> Quotation:
    """The manager approves the quotation (it may then be given) or sends it back with a note."""
    from ..text import check_text

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager reviews quotations."))
    q = get(session, quotation_id, actor, for_update=True)
    if q.status != S.SUBMITTED:
        raise Conflict(_("This quotation is not waiting for review."))
    note = check_text(note, label=_("Note"), max_len=1000, required=not approve, field="note")
    q.status = S.APPROVED if approve else S.SENT_BACK
    q.reviewed_by_id, q.reviewed_at, q.review_note = actor.id, utcnow(), note
    record(session, "sales.quotation_reviewed", actor=actor, record=q,
           summary=f"{q.no} {'approved' if approve else 'sent back'}", reason=note or None)
    return q


def revise(session: Session, quotation_id, *, actor: Staff) -> Quotation:
    """A new version (a draft with the same lines); the old one is kept, superseded."""
    q = get(session, quotation_id, actor, for_update=True)
    if q.clerk_id != actor.id and not actor.has_role("manager"):
        raise Forbidden(_("Only the clerk who builds the quotation changes it."))
    if q.status not in (S.SUBMITTED, S.SENT_BACK, S.APPROVED, S.DECLINED):
        raise Conflict(_("This quotation cannot be changed any more."))
    version = (session.scalar(select(func.max(Quotation.version)).where(Quotation.family_id == q.family_id)) or 1) + 1
    valid = q.valid_until if q.valid_until >= local_today() else local_today()
    new = Quotation(family_id=q.family_id, version=version, status=S.DRAFT, customer_id=q.customer_id,
                    clerk_id=q.clerk_id, valid_until=valid, terms=q.terms, total=q.total,
                    no=f"{q.no.split('-v')[0]}-v{version}")
    for line in q.lines:
        new.lines.append(QuotationLine(product_id=line.product_id, product_name=line.product_name,
                                       brand_name=line.brand_name, model=line.model, spec=line.spec, unit=line.unit,
                                       quantity=line.quantity, list_price=line.list_price,
                                       unit_price=line.unit_price, amount=line.amount,
                                       over_limit=_over_limit(session, session.get(Staff, q.clerk_id),
                                                              line.list_price, line.unit_price)))
    q.status = S.SUPERSEDED
    session.add(new)
    session.flush()
    record(session, "sales.quotation_revised", actor=actor, record=new, summary=f"{q.no} → {new.no}")
    return new


def answer(session: Session, quotation_id, *, actor: Staff, accepted: bool, reason: str = "") -> Quotation:
    """The customer's answer to an approved quotation; an expired one cannot be accepted."""
    from ..text import check_text

    q = get(session, quotation_id, actor, for_update=True)
    if q.status != S.APPROVED:
        raise Conflict(_("Only an approved quotation given to the customer is answered."))
    if accepted and is_expired(q):
        raise DomainError(_("This quotation expired on %(day)s: make a new version.", day=q.valid_until.isoformat()))
    reason = check_text(reason, label=_("Reason"), max_len=500, required=not accepted, field="reason")
    q.status = S.ACCEPTED if accepted else S.DECLINED
    q.answered_at, q.decline_reason = utcnow(), reason
    record(session, "sales.quotation_answered", actor=actor, record=q,
           summary=f"{q.no} {'accepted' if accepted else 'declined'}", reason=reason or None)
    return q


def to_voucher(session: Session, quotation_id, *, actor: Staff) -> Voucher:
    """An accepted, valid quotation becomes a written-up voucher at the quoted prices (stock checked now)."""
    q = get(session, quotation_id, actor, for_update=True)
    if q.status == S.CONVERTED and q.voucher is not None:
        return q.voucher  # a double tap: the same voucher
    if q.status != S.ACCEPTED:
        raise Conflict(_("Only an accepted quotation becomes a voucher."))
    if q.reviewed_by_id is None:
        raise Conflict(_("The manager has not approved this quotation."))
    if is_expired(q):
        raise DomainError(_("This quotation expired on %(day)s: make a new version.", day=q.valid_until.isoformat()))
    customer = q.customer
    voucher = Voucher(clerk_id=actor.id, status=VoucherStatus.DRAFT, channel="counter", customer_id=customer.id,
                      customer_name=customer.name, customer_phone=customer.phone, total=Decimal("0"),
                      notes=_("From quotation %(no)s", no=q.no))
    session.add(voucher)
    for line in q.lines:
        product = catalog.get_product(session, line.product_id)
        if not product.active:
            raise DomainError(_("%(name)s is no longer sold (inactive).", name=product.name))
        voucher.lines.append(VoucherLine(
            product=product, product_name=line.product_name, brand_name=line.brand_name, model=line.model,
            spec=line.spec, colour=product.colour, unit=line.unit, quantity=line.quantity,
            list_price=line.list_price, unit_price=line.unit_price, amount=line.amount,
            vat_rate_bp=product.vat_rate_bp, approved_by_id=q.reviewed_by_id if line.over_limit else None))
    session.flush()
    short = sales.stock_shortages(voucher)
    if short:
        names = ", ".join(f"{x.product_name} ({x.quantity - short[x.id]})" for x in voucher.lines if x.id in short)
        raise DomainError(_("Not enough in stock for: %(names)s (on hand in brackets).", names=names))
    sales._recompute(voucher)
    shop.check_day_open(session)
    sales._number(session, voucher)
    q.status, q.voucher_id = S.CONVERTED, voucher.id
    record(session, "sales.voucher_written_up", actor=actor, record=voucher,
           summary=f"{voucher.no} {format_money(voucher.total)} ← {q.no}")
    record(session, "sales.quotation_converted", actor=actor, record=q, summary=f"{q.no} → {voucher.no}")
    return voucher


def quotation_for_voucher(session: Session, voucher_id: int) -> Quotation | None:
    return session.scalar(select(Quotation).where(Quotation.voucher_id == voucher_id))


def waiting_for_review(session: Session) -> list[Quotation]:
    return list(session.scalars(select(Quotation).where(Quotation.status == S.SUBMITTED).order_by(Quotation.id)))


def of_clerk(session: Session, clerk: Staff, limit: int = 100) -> list[Quotation]:
    return list(session.scalars(select(Quotation).where(Quotation.clerk_id == clerk.id)
                                .order_by(Quotation.id.desc()).limit(limit)))


def versions(session: Session, q: Quotation) -> list[Quotation]:
    return list(session.scalars(select(Quotation).where(Quotation.family_id == q.family_id)
                                .order_by(Quotation.version)))


@register_timeline_source
def _quotation_entries(session: Session, customer_id: int):
    for q in session.scalars(select(Quotation).where(Quotation.customer_id == customer_id)):
        yield Entry(at=q.created_at, kind="quotation", title=str(_l("Quotation")) + f" {q.no}",
                    detail=shown_status(q), endpoint="quotations.show", args={"quotation_id": q.id}, amount=q.total)


# ------------------------------------------------------------------ the receipt print (thermal, with QR)
def quotation_document(q: Quotation, shop_name: str):
    """The approved quotation as a receipt for the customer (the printers' queue prints it)."""
    from printing.documents import QR, Cut, Document, KeyValue, Separator, SignatureLine, Text, Title

    from ..money import amount_in_words, plain_number

    blocks: list = [Title(shop_name), Text("报价单", align="center", bold=True), KeyValue("报价单号", q.no),
                    KeyValue("版本", f"第{q.version}版"), KeyValue("营业员", q.clerk.full_name),
                    KeyValue("客户", q.customer.name), KeyValue("有效期至", q.valid_until.isoformat()), Separator()]
    for line in q.lines:
        blocks.append(Text(f"{line.position}. {line.product_name} {line.brand_name} {line.model} {line.spec}".strip()))
        blocks.append(KeyValue(f"   {plain_number(line.quantity)}{line.unit} × {format_money(line.unit_price)}",
                               format_money(line.amount)))
    blocks += [Separator(), KeyValue("合计", format_money(q.total), bold=True, double=True),
               Text(f"大写：人民币{amount_in_words(q.total)}")]
    if q.terms:
        blocks.append(Text(f"条款：{q.terms}"))
    blocks += [Text(f"经店长{q.reviewed_by.full_name if q.reviewed_by else ''}审核，逾期作废；成交以销售凭证为准。"),
               QR(q.no), SignatureLine("客户签字"), Cut()]
    return Document(blocks=blocks)


def print_receipt(session: Session, quotation_id, *, actor: Staff, station_id: int | None = None):
    """Queue the receipt print of an approved quotation (only an approved one is given to the customer)."""
    from ..printers import services as printers

    q = get(session, quotation_id, actor)
    if q.status not in (S.APPROVED, S.ACCEPTED, S.CONVERTED):
        raise Conflict(_("Only an approved quotation is printed for the customer."))
    shop_name = shop.shop_name(session)
    return printers.queue_from_screen(session, [(quotation_document(q, shop_name), f"报价单 {q.no}")],
                                      kind="quotation", ref=q.no, requested_by=actor, station_id=station_id)
