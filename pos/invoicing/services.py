"""Issuing invoices (开发票): gapless numbers, VAT that adds up, 补开, void (作废) and
reissue, the 数电票 link, the platform export, finding invoices.

Numbers: one counter row per series, incremented in the issuing transaction under
the row's write lock (PostgreSQL row lock / SQLite write lock) — several cashiers
issuing at once get consecutive numbers, and a failed issue gives its number back.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..cashier import services as cashier_services
from ..customers import services as customers
from ..customers.models import Customer
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..money import FEN, format_money
from ..sales import services as sales
from ..sales.models import PaymentState, Voucher, VoucherStatus
from ..shop import services as shop
from ..staff.models import Staff
from ..text import plain
from .models import Invoice, InvoiceLine, InvoicePlatformLink, InvoiceVoid, InvoiceVoucher

PLATFORM_NO = re.compile(r"[0-9]{20}")  # ASCII digits only (\d takes any script's digits)


@dataclass
class Buyer:
    name: str
    phone: str
    address: str
    tax_no: str = ""


def series_for(session: Session, day: date) -> str:
    """The series prefix: the setting ``invoice.prefix`` with {year} filled in (default FP2026)."""
    return shop.get_setting(session, "invoice.prefix").replace("{year}", str(day.year))[:20]


def vat_enabled(session: Session) -> bool:
    return shop.get_setting(session, "invoice.vat") == "1"


def split_tax(amount: Decimal, rate_bp: int) -> Decimal:
    """The VAT inside a tax-inclusive amount, to the fen: amount × r / (1 + r); the
    amount excluding tax is the rest, so the two always add up to the amount."""
    if rate_bp <= 0:
        return Decimal("0.00")
    rate = Decimal(rate_bp) / 10000
    return (amount * rate / (1 + rate)).quantize(FEN, rounding=ROUND_HALF_UP)


def _live_invoice_of(session: Session, voucher: Voucher) -> Invoice | None:
    return session.scalar(
        select(Invoice).join(InvoiceVoucher, InvoiceVoucher.invoice_id == Invoice.id)
        .where(InvoiceVoucher.voucher_id == voucher.id, ~Invoice.void.has())
    )


def check_vouchers(session: Session, numbers: list[str], *, lock: bool = False) -> list[Voucher]:
    """The vouchers to invoice: paid (cheques cleared), not cancelled, not on a live invoice,
    all of one customer."""
    numbers = [sales.normalise_no(n) for n in numbers if n and n.strip()]
    if not numbers:
        raise DomainError(_("Which voucher? Scan or type its number."), field="vouchers")
    if len(set(numbers)) != len(numbers):
        raise DomainError(_("A voucher is listed twice."), field="vouchers")
    stmt = select(Voucher).where(Voucher.no.in_(numbers)).order_by(Voucher.no)
    if lock:
        stmt = stmt.with_for_update(of=Voucher).execution_options(populate_existing=True)
    vouchers = list(session.scalars(stmt))
    missing = set(numbers) - {v.no for v in vouchers}
    if missing:
        raise NotFound(_("No voucher numbered %(no)s.", no=sorted(missing)[0]))
    customers = set()
    for v in vouchers:
        if v.status == VoucherStatus.CANCELLED:
            raise DomainError(_("Voucher %(no)s was cancelled: no invoice.", no=v.no))
        if v.payment_state == PaymentState.AWAITING_CLEARANCE:
            raise DomainError(_("Voucher %(no)s was paid by a cheque not yet cleared: invoice it when the funds "
                                "have arrived.", no=v.no))
        if v.payment_state != PaymentState.PAID:
            raise DomainError(_("Voucher %(no)s is not paid: no invoice before payment.", no=v.no))
        existing = _live_invoice_of(session, v)
        if existing is not None:
            raise Conflict(_("Voucher %(no)s is already on invoice %(inv)s (void it first to issue a new one).",
                             no=v.no, inv=existing.no))
        customers.add(v.customer_id)
    if len(vouchers) > 1 and (len(customers) > 1 or None in customers):
        raise DomainError(_("One invoice covers the vouchers of one customer."), field="vouchers")
    return vouchers


def _check_buyer(buyer: Buyer) -> Buyer:
    name = (buyer.name or "").strip()
    address = (buyer.address or "").strip()
    tax_no = re.sub(r"[\s-]", "", plain(buyer.tax_no)).upper()  # full-width letters and digits as ASCII
    if not name:
        raise DomainError(_("Enter the customer's full name."), field="name")
    if len(name) > 60:
        raise DomainError(_("A name has at most %(n)d characters.", n=60), field="name")
    phone = customers.check_phone(buyer.phone)
    if not address:
        raise DomainError(_("Enter the customer's address."), field="address")
    if len(address) > 200:
        raise DomainError(_("An address has at most %(n)d characters.", n=200), field="address")
    if tax_no and not re.fullmatch(r"[0-9A-Z]{15,20}", tax_no):
        raise DomainError(_("A taxpayer number is 15 to 20 letters or digits."), field="tax_no")
    return Buyer(name, phone, address, tax_no)


def issue(session: Session, numbers: list[str], buyer: Buyer, *, preparer: Staff,
          replaces: Invoice | None = None) -> Invoice:
    """Issue an invoice for paid vouchers; with ``replaces``, the reissue of a void one."""
    # One definition of "the day" for the date and for 补开: the business day (the shop's day,
    # boundary e.g. 04:00), as for vouchers, takings and the Z report. A sale at 23:00 invoiced at
    # 01:00 is the same day; one at 02:00 invoiced at 10:00 belongs to the day before: 补开.
    today = shop.business_today(session)
    if shop.day_signed_off(session, today):
        raise DomainError(_("Today has been signed off: no more invoices can be dated into it."))
    buyer = _check_buyer(buyer)
    if replaces is not None:
        lock(session, replaces)  # two reissues of one void invoice at once: one wins (before the vouchers' locks)
    if replaces is not None and not replaces.is_void:
        raise DomainError(_("Only a void invoice can be reissued."))
    if replaces is not None and replaces.replaced_by is not None:
        raise Conflict(_("Invoice %(no)s was already reissued as %(new)s.", no=replaces.no,
                         new=replaces.replaced_by.no))
    vouchers = check_vouchers(session, numbers, lock=True)
    # the customer gets the details the invoice needed (collected on the spot)
    customer = vouchers[0].customer or session.scalar(select(Customer).where(Customer.phone == buyer.phone))
    if customer is None:
        customer = customers.find_or_register_customer(session, phone=buyer.phone, name=buyer.name,
                                                   address=buyer.address, actor=preparer)
    else:
        customer.address = buyer.address
    for v in vouchers:  # the delivery form then knows who the buyer is (nothing typed twice)
        if v.customer_id is None:
            v.customer = customer
    sale_day = max(v.business_day for v in vouchers if v.business_day)
    vat = vat_enabled(session)
    cashier_name = cashier_services.live_payment_cashier(session, vouchers[0])
    series = series_for(session, today)
    seq = shop.next_number(session, f"invoice:{series}")
    invoice = Invoice(
        no=f"{series}-{seq:06d}", series=series, seq=seq, issue_date=today, customer=customer,
        buyer_name=buyer.name, buyer_phone=buyer.phone, buyer_address=buyer.address, buyer_tax_no=buyer.tax_no,
        # 补开: issued on a later business day than the sale
        remark="补开" if today > sale_day else "", vat=vat, total=Decimal("0.00"),
        preparer=preparer,
        cashier_name=cashier_name, replaces=replaces,
    )
    position = 0
    total = tax_total = Decimal("0.00")
    for v in vouchers:
        for vl in v.lines:
            position += 1
            amount = sales.line_amount(vl.quantity, vl.unit_price)
            rate = vl.vat_rate_bp if vat else 0
            tax = split_tax(amount, rate)
            spec = " ".join(p for p in (vl.brand_name, vl.model, vl.spec, vl.colour) if p)
            invoice.lines.append(InvoiceLine(position=position, voucher_line=vl, name=vl.product_name, spec=spec,
                                             unit=vl.unit, quantity=vl.quantity, unit_price=vl.unit_price,
                                             amount=amount, tax_rate_bp=rate, tax=tax))
            total += amount
            tax_total += tax
    invoice.total, invoice.total_tax = total, tax_total
    invoice.vouchers.extend(vouchers)
    session.add(invoice)
    session.flush()
    for name in ("void", "platform", "replaced_by"):  # none yet: known, not read (the invoice's page shows them)
        set_committed_value(invoice, name, None)
    record(session, "invoicing.issued", actor=preparer, record=invoice,
           summary=f"{invoice.no} {format_money(total)} {', '.join(v.no for v in vouchers)}"
                   + (f" (reissue of {replaces.no})" if replaces else "") + (" 补开" if invoice.remark else ""))
    return invoice


def lock(session: Session, invoice: Invoice) -> Invoice:
    """Take the invoice's row lock and read it again (its void and 数电票 link included): two
    tablets voiding or linking one invoice at once — the second sees what the first did."""
    session.flush()
    session.refresh(invoice, with_for_update={"of": Invoice})
    return invoice


def get(session: Session, no: str, *, for_page: bool = False) -> Invoice:
    """The invoice numbered ``no``. ``for_page``: with what its page shows read in the same statement
    (its void, its 数电票 link, the invoice that replaced it) and its vouchers without their lines."""
    stmt = select(Invoice).where(Invoice.no == (no or "").strip().upper())
    if for_page:
        stmt = stmt.options(joinedload(Invoice.void), joinedload(Invoice.platform),
                            joinedload(Invoice.replaced_by).lazyload("*"),
                            selectinload(Invoice.vouchers).options(lazyload(Voucher.lines)))
    invoice = session.scalar(stmt)
    if invoice is None:
        raise NotFound(_("No invoice numbered %(no)s.", no=(no or "").strip()[:30]))
    return invoice


def void(session: Session, invoice: Invoice, reason: str, *, actor: Staff) -> InvoiceVoid:
    """作废: kept, marked void with the reason. An invoice of an earlier day needs a manager."""
    lock(session, invoice)
    if invoice.is_void:
        raise Conflict(_("Invoice %(no)s is already void.", no=invoice.no))
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more invoices can be dated into it."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the invoice is void."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("A reason has at most %(n)d characters.", n=200), field="reason")
    if invoice.issue_date < shop.business_today(session) and "manager" not in actor.roles:
        raise Forbidden(_("Invoice %(no)s is from %(day)s: only a manager can void it.", no=invoice.no,
                          day=invoice.issue_date.isoformat()))
    try:
        with session.begin_nested():  # the unique index is the last word; under the lock it says yes
            row = InvoiceVoid(invoice=invoice, reason=reason, by=actor)
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Invoice %(no)s is already void.", no=invoice.no)) from None
    record(session, "invoicing.voided", actor=actor, record=invoice, reason=reason,
           summary=f"{invoice.no} {format_money(invoice.total)}")
    return row


def link_platform(session: Session, invoice: Invoice, number: str, *, actor: Staff) -> InvoicePlatformLink:
    """Record the 20-digit number of the 数电票 issued on the tax platform for this invoice."""
    # one spelling for validation and uniqueness: full-width or other scripts' digits become ASCII
    number = re.sub(r"[\s-]", "", plain(number))
    if not PLATFORM_NO.fullmatch(number):
        raise DomainError(_("A 数电票 number is exactly 20 digits."), field="number")
    lock(session, invoice)
    if invoice.is_void:
        raise DomainError(_("Invoice %(no)s is void.", no=invoice.no))
    if invoice.platform is not None:
        raise Conflict(_("Invoice %(no)s already has the 数电票 number %(n)s.", no=invoice.no,
                         n=invoice.platform.number))
    other = session.scalar(select(InvoicePlatformLink).where(InvoicePlatformLink.number == number))
    if other is not None:
        raise Conflict(_("That 数电票 number is already recorded for another invoice."), field="number")
    try:
        with session.begin_nested():  # another invoice took this number at the same moment: the index says no
            link = InvoicePlatformLink(invoice_id=invoice.id, number=number, by=actor)
            session.add(link)
            session.flush()
    except IntegrityError:
        raise Conflict(_("That 数电票 number is already recorded for another invoice."), field="number") from None
    session.refresh(invoice)
    record(session, "invoicing.platform_linked", actor=actor, record=invoice, summary=f"{invoice.no} → {number}")
    return link


def find(session: Session, *, query: str = "", day_from: date | None = None, day_to: date | None = None,
         limit: int = 100) -> list[Invoice]:
    """By invoice number, voucher number, customer name or phone, and dates."""
    stmt = select(Invoice).order_by(Invoice.id.desc()).limit(limit)
    q = plain((query or "")[:80])[:40]  # a phone or number typed in full-width digits finds the same invoice
    if q:
        like = f"%{q}%"
        voucher_ids = select(InvoiceVoucher.invoice_id).join(Voucher, Voucher.id == InvoiceVoucher.voucher_id) \
            .where(Voucher.no.ilike(like))
        stmt = stmt.where(or_(Invoice.no.ilike(like), Invoice.buyer_name.ilike(like), Invoice.buyer_phone.ilike(like),
                              Invoice.id.in_(voucher_ids)))
    if day_from:
        stmt = stmt.where(Invoice.issue_date >= day_from)
    if day_to:
        stmt = stmt.where(Invoice.issue_date <= day_to)
    return list(session.scalars(stmt))


def chain(invoice: Invoice) -> list[Invoice]:
    """The whole void → reissue chain this invoice belongs to, oldest first."""
    first = invoice
    while first.replaces is not None:
        first = first.replaces
    out = [first]
    while out[-1].replaced_by is not None:
        out.append(out[-1].replaced_by)
    return out


EXPORT_COLUMNS = ["发票号码", "开票日期", "购买方名称", "购买方纳税人识别号", "项目名称", "规格型号", "单位", "数量",
                  "单价", "金额", "税率", "税额", "价税合计"]


def export_for_platform(session: Session, day_from: date, day_to: date) -> io.BytesIO:
    """Live invoices of a date range as .xlsx rows for the tax platform's batch import:
    one row per line (buyer, item, spec, unit, qty, unit price, amount, tax rate, tax)."""
    if day_from > day_to:
        raise DomainError(_("The start date is after the end date."))
    if (day_to - day_from).days > 366:
        raise DomainError(_("Export at most one year at a time."))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("发票明细")
    ws.append(EXPORT_COLUMNS)
    invoices = session.scalars(select(Invoice).where(Invoice.issue_date >= day_from, Invoice.issue_date <= day_to,
                                                     ~Invoice.void.has()).order_by(Invoice.series, Invoice.seq))
    for inv in invoices:
        for line in inv.lines:
            rate = Decimal(line.tax_rate_bp) / 10000
            unit_excl = (line.amount_excl / line.quantity).quantize(Decimal("0.00000001")) if line.quantity else 0
            ws.append([inv.no, inv.issue_date.isoformat(), inv.buyer_name, inv.buyer_tax_no, line.name, line.spec,
                       line.unit, f"{line.quantity.normalize():f}", f"{unit_excl}", f"{line.amount_excl:.2f}",
                       f"{rate:.2f}", f"{line.tax:.2f}", f"{line.amount:.2f}"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
