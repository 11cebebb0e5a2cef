"""Writing up the sales voucher (开单) and phone orders (电话叫货) with their review (订单评审).

"Steady, accurate, quick" (稳、准、快): every line copies name, brand, model,
spec and colour from the catalogue, and ``amount = quantity × unit price``
exactly, in fen. The unit price is the actual price after discount; a discount
beyond the person's limit needs a manager's PIN on the spot, and is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, lazyload

from .. import tx
from ..audit.services import record
from ..catalog import services as catalog
from ..catalog.models import Product, ProductRelation
from ..customers import services as customers
from ..customers.models import Customer
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound, get_or_404
from ..money import FEN, format_money, plain_number
from ..shop import services as shop
from ..staff import services as staff_services
from ..staff.models import Staff
from ..staff.permissions import effective_roles
from .models import PaymentState, Voucher, VoucherLine, VoucherStatus

MAX_QUANTITY = Decimal("9999")
MAX_LINES = 100
PHONE_MIN, PHONE_MAX = 7, 20


class NeedsApproval(DomainError):
    """The discount is over this person's limit: a manager must approve it with their PIN."""

    status = 422


@dataclass(frozen=True)
class Approval:
    """A manager's approval given on the spot: who, their PIN, and the tablet it was typed on
    (wrong PINs are counted per person and tablet)."""

    manager_id: int
    pin: str
    client: str = ""


# ------------------------------------------------------------------ finding vouchers
def get_voucher(session: Session, voucher_id: int) -> Voucher:
    return get_or_404(session, Voucher, voucher_id, _("No such voucher."))


def lock(session: Session, voucher: Voucher) -> Voucher:
    """Take the voucher's row lock and read it again (``SELECT … FOR UPDATE``; on SQLite the
    request already holds the write lock). A rule that reads a voucher, checks it and writes
    calls this first and checks *after* it: what was read before may have changed while this
    transaction waited (a payment, a cancel, the other tap of a double tap)."""
    if voucher.id is None:  # made in this transaction: nobody else can see it
        session.flush()
        return voucher
    session.flush()  # what this transaction changed is kept; the rest is read again
    if voucher.id in _held(session):  # read under its lock by this transaction already (find_draft), or made by it
        return voucher
    try:  # its own columns now; its lines and customer when next used (not read and thrown away here)
        session.refresh(voucher, _VOUCHER_COLUMNS, with_for_update={"of": Voucher})
    except InvalidRequestError:  # a draft thrown away on another tablet
        raise NotFound(_("No such voucher.")) from None
    session.expire(voucher, ["lines", "customer"])
    return voucher


_VOUCHER_COLUMNS = [attr.key for attr in sa_inspect(Voucher).column_attrs]


def _held(session: Session) -> dict:
    """The vouchers this transaction holds without asking again: read under their row lock at the start
    of a change (:func:`find_draft` with ``lock=True``: one statement where reading and then locking
    were two), or made by it (no one else can see them). Only the request's own reads put them here —
    never a savepoint that could be rolled back and let the lock go."""
    return tx.memo(session, "pos_vouchers_held")


def normalise_no(text: str) -> str:
    """What a scanner or a person typed → a voucher number (case and blanks forgiven)."""
    return (text or "").strip().upper().replace(" ", "")


def get_by_no(session: Session, no: str) -> Voucher:
    voucher = session.scalar(select(Voucher).where(Voucher.no == normalise_no(no)))
    if voucher is None:
        raise NotFound(_("No voucher numbered %(no)s.", no=(no or "").strip()[:30]))
    return voucher


def _is_manager(actor: Staff) -> bool:
    return "manager" in actor.roles


def check_owner(voucher: Voucher, actor: Staff) -> None:
    """A clerk works on their own vouchers; a manager on anyone's."""
    if voucher.clerk_id != actor.id and not _is_manager(actor):
        raise Forbidden(_("This voucher belongs to %(name)s.", name=voucher.clerk.full_name))


def check_editable(voucher: Voucher) -> None:
    if voucher.status != VoucherStatus.DRAFT:
        if voucher.no:
            raise DomainError(_("Voucher %(no)s is written up and can no longer be changed. "
                                "Cancel it and write a new one.", no=voucher.no))
        raise DomainError(_("This order has been sent for review and can no longer be changed."))


def drafts_of(session: Session, clerk: Staff) -> list[Voucher]:
    return list(session.scalars(
        select(Voucher).where(Voucher.clerk_id == clerk.id, Voucher.status == VoucherStatus.DRAFT)
        .order_by(Voucher.id.desc())
    ))


def find_draft(session: Session, clerk: Staff, *, voucher_id: int | None = None,
               lines: bool = True, lock: bool = False, drafts: list[Voucher] | None = None) -> Voucher | None:
    """The clerk's open voucher, read only: the one asked for if it is still their draft,
    else their latest counter draft, else None. ``lines=False``: its lines are read only if used
    (adding a product reads just the lines it needs). ``lock=True`` (a change follows): the one asked
    for is read under its row lock; the rules still check it after :func:`lock`. ``drafts``: the
    clerk's drafts as :func:`drafts_of` has just read them (the counter shows them too): the one
    asked for is then found among them, and so is the latest."""
    if drafts is not None and not lock:
        asked = next((v for v in drafts if v.id == voucher_id), None) if voucher_id else None
        return asked or next((v for v in drafts if v.channel == "counter"), None)
    options = [] if lines else [lazyload(Voucher.lines)]
    if voucher_id:
        if lock:  # a change: read it under its row lock at once (lock() then reads it no more)
            voucher = session.get(Voucher, voucher_id, options=options, with_for_update={"of": Voucher},
                                  populate_existing=True)
        else:
            voucher = session.get(Voucher, voucher_id, options=options)
        if voucher is not None and voucher.clerk_id == clerk.id and voucher.status == VoucherStatus.DRAFT:
            if lock:
                _held(session)[voucher.id] = True
            return voucher
    return session.scalar(
        select(Voucher).options(*options)
        .where(Voucher.clerk_id == clerk.id, Voucher.status == VoucherStatus.DRAFT, Voucher.channel == "counter")
        .order_by(Voucher.id.desc())
    )


def open_draft(session: Session, clerk: Staff, *, voucher_id: int | None = None, lines: bool = True,
               lock: bool = False) -> Voucher:
    """The clerk's open voucher on the tablet (:func:`find_draft`), else a new one."""
    voucher = find_draft(session, clerk, voucher_id=voucher_id, lines=lines, lock=lock)
    if voucher is None:
        voucher = Voucher(clerk=clerk, status=VoucherStatus.DRAFT, channel="counter", total=Decimal("0"))
        session.add(voucher)
        session.flush()
        _held(session)[voucher.id] = "new"
    return voucher


# ------------------------------------------------------------------ lines
def parse_quantity(product: Product, raw) -> Decimal:
    try:
        qty = Decimal(str(raw).strip())
    except (InvalidOperation, AttributeError):
        raise DomainError(_("Not a quantity: %(value)s", value=str(raw)[:20]), field="quantity") from None
    if not qty.is_finite():
        raise DomainError(_("Not a quantity: %(value)s", value=str(raw)[:20]), field="quantity")
    if qty <= 0:
        raise DomainError(_("The quantity must be more than zero."), field="quantity")
    if qty > MAX_QUANTITY:
        raise DomainError(_("At most %(n)s at a time; check the quantity.", n=plain_number(MAX_QUANTITY)),
                          field="quantity")
    if product.whole_units_only and qty != qty.to_integral_value():
        raise DomainError(_("%(name)s is sold in whole %(unit)s.", name=product.name, unit=product.unit),
                          field="quantity")
    if qty.as_tuple().exponent < -3:  # type: ignore[operator]
        raise DomainError(_("At most three decimals in a quantity."), field="quantity")
    return qty


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """``amount = quantity × unit price``, exact; a fractional quantity is rounded half-up to the fen."""
    return (quantity * unit_price).quantize(FEN, rounding=ROUND_HALF_UP)


def discount_percent(list_price: Decimal, unit_price: Decimal) -> Decimal:
    if list_price <= 0:
        return Decimal("0") if unit_price <= list_price else Decimal("-1")
    return ((list_price - unit_price) * 100 / list_price).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _check_price(session: Session, actor: Staff, product: Product, unit_price: Decimal,
                 approval: Approval | None) -> Staff | None:
    """Is this person allowed to sell at this price? Returns the approving manager, if one was needed."""
    if unit_price < 0:
        raise DomainError(_("A price cannot be negative."), field="unit_price")
    if unit_price == product.list_price or _is_manager(actor):
        return None  # a manager sets prices: their own override needs nobody else
    limit = shop.discount_limit(session, effective_roles(actor.roles))
    if unit_price > product.list_price:
        reason = _("The price %(price)s is above the list price %(list)s: a manager must approve it.",
                   price=format_money(unit_price), list=format_money(product.list_price))
        over = True
    else:
        pct = discount_percent(product.list_price, unit_price)
        over = pct > limit
        reason = _("A discount of %(pct)s%% is over your limit of %(limit)s%%: a manager must approve it "
                   "with their PIN.", pct=pct, limit=plain_number(limit))
    if not over:
        return None
    if approval is None:
        raise NeedsApproval(reason, field="unit_price")
    manager = staff_services.verify_manager_pin(session, approval.manager_id, approval.pin, client=approval.client)
    record(session, "sales.discount_approved", actor=manager, record=product,
           summary=_("%(clerk)s: %(name)s at %(price)s (list %(list)s)", clerk=actor.full_name, name=product.name,
                     price=format_money(unit_price), list=format_money(product.list_price)),
           data={"clerk": actor.full_name, "product": product.name, "price": str(unit_price),
                 "list": str(product.list_price)})
    return manager


def _recompute(voucher: Voucher) -> None:
    total = Decimal("0.00")
    for position, line in enumerate(voucher.lines, start=1):
        line.position = position
        line.amount = line_amount(line.quantity, line.unit_price)
        total += line.amount
    voucher.total = total.quantize(FEN)


def add_line(session: Session, voucher: Voucher, product_id: int, quantity="1", unit_price=None, *,
             actor: Staff, approval: Approval | None = None) -> VoucherLine:
    """Add a product to a draft voucher at its list price (or the price given). The same
    product at the same price adds to the existing line."""
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    product = catalog.get_product(session, product_id)
    if not product.active:
        raise DomainError(_("%(name)s is no longer sold (inactive).", name=product.name), field="product")
    qty = parse_quantity(product, quantity)
    price = product.list_price if unit_price in (None, "") else catalog.check_price(unit_price, field="unit_price")
    approved_by = _check_price(session, actor, product, price, approval)
    # only the line it adds to is read, and the total moves by the difference (the voucher's row is
    # locked): adding to a long voucher costs what adding to a short one does
    seen = _lines_seen(session).get(voucher.id) if voucher.id is not None else None
    if seen is not None:
        _lines_seen(session)[voucher.id] = None  # taken: this line changes what was seen
    line = session.scalar(select(VoucherLine).where(
        VoucherLine.voucher_id == voucher.id, VoucherLine.product_id == product.id, VoucherLine.unit_price == price,
    ).order_by(VoucherLine.position).limit(1)) if voucher.id is not None and (seen is None or product.id in seen[2]) \
        else None
    if line is not None:
        new_qty = line.quantity + qty
        if new_qty > MAX_QUANTITY:
            raise DomainError(_("At most %(n)s at a time; check the quantity.", n=plain_number(MAX_QUANTITY)),
                              field="quantity")
        before = line.amount
        line.quantity = new_qty
        line.amount = line_amount(new_qty, price)
        line.approved_by = approved_by or line.approved_by
        voucher.total = (voucher.total + line.amount - before).quantize(FEN)
        return line
    count, last = seen[:2] if seen is not None else session.execute(
        select(func.count(VoucherLine.id), func.max(VoucherLine.position)).where(VoucherLine.voucher_id == voucher.id)
    ).one()
    if count >= MAX_LINES:
        raise DomainError(_("A voucher has at most %(n)d lines.", n=MAX_LINES))
    line = VoucherLine(
        voucher=voucher, position=(last or 0) + 1,
        product=product, product_name=product.name, brand_name=product.brand.name, model=product.model,
        spec=product.spec, colour=product.colour, unit=product.unit, quantity=qty,
        list_price=product.list_price, unit_price=price, amount=line_amount(qty, price),
        vat_rate_bp=product.vat_rate_bp, approved_by=approved_by,
    )
    session.add(line)
    voucher.total = ((voucher.total or Decimal("0")) + line.amount).quantize(FEN)
    session.flush()
    if _held(session).get(voucher.id) == "new":
        _held(session)[voucher.id] = True  # held still, but no longer without lines (line_ids)
    return line


def _line(session: Session, voucher: Voucher, line_id: int) -> VoucherLine:
    """One line of the voucher, read alone (and again: the voucher's lock is held now)."""
    line = session.scalar(select(VoucherLine).where(VoucherLine.id == line_id, VoucherLine.voucher_id == voucher.id)
                          .execution_options(populate_existing=True)) if voucher.id is not None else None
    if line is None:
        raise NotFound(_("That line is not on this voucher."))
    return line


def update_line(session: Session, voucher: Voucher, line_id: int, quantity, unit_price, *, actor: Staff,
                approval: Approval | None = None) -> VoucherLine:
    """A line's quantity or price changed. As adding does, only this line is read and the total moves
    by the difference (the voucher's row is locked)."""
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    line = _line(session, voucher, line_id)
    product = line.product
    qty = parse_quantity(product, quantity)
    price = catalog.check_price(unit_price, field="unit_price")
    if price != line.unit_price:
        # the limit is judged against the price list of today, as a new line would be
        line.approved_by = _check_price(session, actor, product, price, approval)
        line.list_price = product.list_price
        line.unit_price = price
    before = line.amount
    line.quantity = qty
    line.amount = line_amount(qty, line.unit_price)
    voucher.total = ((voucher.total or Decimal("0")) + line.amount - before).quantize(FEN)
    return line


def remove_line(session: Session, voucher: Voucher, line_id: int, *, actor: Staff) -> VoucherLine:
    """Take a line off a draft: the total moves by its amount and the lines after it move up one
    position (numbered 1, 2, 3 … as printed), without reading them. Returns the removed line."""
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    line = _line(session, voucher, line_id)
    voucher.total = ((voucher.total or Decimal("0")) - line.amount).quantize(FEN)
    session.delete(line)
    session.flush()
    session.execute(update(VoucherLine).where(VoucherLine.voucher_id == voucher.id,
                                              VoucherLine.position > line.position)
                    .values(position=VoucherLine.position - 1))
    session.expire(voucher, ["lines"])
    return line


def may_be_suggested(session: Session, voucher: Voucher, product_id: int, product_ids: set[int]) -> bool:
    """Might the voucher's suggestions show this product, not on it yet: an accessory of a product on
    it, or — while a line is short of stock — an in-stock alternative? Then adding it takes it off them."""
    if not product_ids or voucher.id is None:
        return False
    if session.scalar(select(ProductRelation.id).where(
            ProductRelation.related_id == product_id, ProductRelation.kind == "accessory",
            ProductRelation.product_id.in_(product_ids)).limit(1)) is not None:
        return True
    return session.scalar(
        select(VoucherLine.product_id).join(Product, Product.id == VoucherLine.product_id)
        .where(VoucherLine.voucher_id == voucher.id, VoucherLine.product_id != product_id)
        .group_by(VoucherLine.product_id, Product.stock_on_hand)
        .having(func.sum(VoucherLine.quantity) > Product.stock_on_hand).limit(1)) is not None


def has_lines(session: Session, voucher: Voucher) -> bool:
    return voucher.id is not None and session.scalar(
        select(VoucherLine.id).where(VoucherLine.voucher_id == voucher.id).limit(1)) is not None


def line_ids(session: Session, voucher: Voucher) -> tuple[int, set[int], set[int]]:
    """How many lines the voucher has, their ids and their products' ids (three columns, not the
    lines). Read under the voucher's row lock (a change), what it found also spares the next
    :func:`add_line` of this transaction its own questions (:func:`_lines_seen`)."""
    if voucher.id is None or _held(session).get(voucher.id) == "new":  # made by this request: no lines yet
        rows = []
    else:
        rows = session.execute(select(VoucherLine.id, VoucherLine.product_id, VoucherLine.position)
                               .where(VoucherLine.voucher_id == voucher.id)).all()
    products = {row.product_id for row in rows}
    if voucher.id is not None and _held(session).get(voucher.id):
        _lines_seen(session)[voucher.id] = (len(rows), max((row.position for row in rows), default=0), products)
    return len(rows), {row.id for row in rows}, products


def _lines_seen(session: Session) -> dict:
    """What :func:`line_ids` found on a voucher this transaction holds under its row lock — how many
    lines, the last position, the products on it — for the :func:`add_line` that follows, which
    takes it (once: its own line changes it; None is left) instead of asking again."""
    return tx.memo(session, "pos_voucher_lines_seen")


def lines_read_under_lock(session: Session, voucher: Voucher) -> bool:
    """:func:`line_ids` read this voucher's lines under its row lock in this transaction: no line was
    added since but by this transaction itself."""
    return voucher.id is not None and voucher.id in _lines_seen(session)


def lines_of_product(session: Session, voucher: Voucher, product: Product,
                     only: VoucherLine | None = None) -> tuple[list[VoucherLine], dict[int, Decimal]]:
    """The voucher's lines of one product, and — as :func:`stock_shortages` says for them — how many
    are missing when they ask for more than is on hand (without reading the other lines). ``only``:
    the caller knows this is the product's one line (it has just added the product, new to the voucher)."""
    lines = [only] if only is not None else list(session.scalars(select(VoucherLine).where(
        VoucherLine.voucher_id == voucher.id, VoucherLine.product_id == product.id).order_by(VoucherLine.position)))
    missing = sum((line.quantity for line in lines), Decimal("0")) - product.stock_on_hand
    return lines, ({line.id: missing for line in lines} if missing > 0 else {})


def stock_shortages(voucher: Voucher) -> dict[int, Decimal]:
    """Lines asking for more than is on hand: line id → how many are missing."""
    wanted: dict[int, Decimal] = {}
    for line in voucher.lines:
        wanted[line.product_id] = wanted.get(line.product_id, Decimal("0")) + line.quantity
    out = {}
    for line in voucher.lines:
        missing = wanted[line.product_id] - line.product.stock_on_hand
        if missing > 0:
            out[line.id] = missing
    return out


# ------------------------------------------------------------------ customers
def known_customer(voucher: Voucher) -> dict[str, str]:
    """Everything known about the voucher's customer — name, phone, address — from the voucher
    (a phone order's details) and the customer it is for (whom the invoice and the dispatch slip
    update): what the invoice and the delivery forms start from, so nothing is typed twice."""
    customer = voucher.customer
    return {
        "name": voucher.customer_name or (customer.name if customer else ""),
        "phone": voucher.customer_phone or (customer.phone if customer else ""),
        "address": voucher.delivery_address or (customer.address if customer else ""),
    }


def set_customer(session: Session, voucher: Voucher, *, phone: str, name: str = "", actor: Staff) -> Customer:
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    customer = customers.find_or_register_customer(session, phone=phone, name=name, actor=actor)
    voucher.customer = customer
    voucher.customer_name = customer.name
    voucher.customer_phone = customer.phone
    return customer


def clear_customer(session: Session, voucher: Voucher, *, actor: Staff) -> None:
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    voucher.customer = None
    voucher.customer_name = ""
    voucher.customer_phone = ""


# ------------------------------------------------------------------ write-up, checksum, cancel
def compute_checksum(voucher: Voucher) -> str:
    """A fingerprint of what was written up: the cashier's check (查) recomputes it, so a
    voucher changed after write-up is refused."""
    parts = [voucher.no or "", str(voucher.clerk_id), str(int(voucher.total * 100))]
    for line in voucher.lines:
        parts.append("|".join([
            str(line.product_id), str(int(line.quantity * 1000)), str(int(line.unit_price * 100)),
            str(int(line.amount * 100)),
        ]))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def verify(voucher: Voucher) -> list[str]:
    """Recompute every line and the total; what does not add up (empty when all is well)."""
    problems = []
    total = Decimal("0.00")
    for line in voucher.lines:
        expected = line_amount(line.quantity, line.unit_price)
        if line.amount != expected:
            problems.append(_("Line %(n)d: %(q)s × %(p)s should be %(e)s, not %(a)s.", n=line.position,
                              q=plain_number(line.quantity), p=format_money(line.unit_price),
                              e=format_money(expected), a=format_money(line.amount)))
        total += line.amount
    if total != voucher.total:
        problems.append(_("The lines add up to %(t)s, but the voucher says %(v)s.", t=format_money(total),
                          v=format_money(voucher.total)))
    if voucher.checksum and compute_checksum(voucher) != voucher.checksum:
        problems.append(_("The voucher was changed after it was written up."))
    return problems


def _number(session: Session, voucher: Voucher) -> None:
    day = shop.business_today(session)  # after midnight but before the day boundary: still yesterday
    n = shop.next_number(session, "voucher", day)
    voucher.no = f"V{day:%Y%m%d}-{n:04d}"
    voucher.business_day = day
    voucher.written_up_at = utcnow()
    voucher.status = VoucherStatus.WRITTEN_UP
    voucher.checksum = compute_checksum(voucher)


class NotAsShown(DomainError):
    """The screen shows a change the voucher does not hold (a price waiting for a manager's PIN):
    ``pending`` is that change, to show it again with the message."""

    def __init__(self, message: str, *, line: ShownLine | None = None, product_id: int | None = None,
                 approval: bool = False):
        super().__init__(message, field="unit_price" if approval or product_id else "quantity")
        self.needs_approval = approval or product_id is not None
        self.pending = ({"line_id": line.line_id, "quantity": line.quantity, "unit_price": line.unit_price}
                        if line else {"product_id": product_id})


@dataclass(frozen=True)
class ShownLine:
    """A line as the clerk's screen showed it when 开单 was tapped: the quantity and unit price
    in its boxes (a price waiting for a manager's PIN is on the screen but not saved)."""

    line_id: int
    quantity: str
    unit_price: str


def check_as_shown(session: Session, voucher: Voucher, shown: list[ShownLine] | None,
                   pending_product_id: int | None = None) -> None:
    """Refuse to freeze a voucher at a price the clerk did not see: a product or a line whose price
    waits for the manager's PIN, or a box changed on the screen but not saved, names its line."""
    if pending_product_id:
        product = session.get(Product, pending_product_id)
        raise NotAsShown(_("%(name)s waits for a manager's PIN to approve its price: approve it or cancel "
                           "it before writing up.", name=product.name if product else "?"),
                         product_id=pending_product_id)
    if shown is None:
        return
    lines = {line.id: line for line in voucher.lines}
    if {s.line_id for s in shown} != set(lines):
        raise Conflict(_("The voucher was changed on another screen: check the lines and write up again."))
    for s in shown:
        line = lines[s.line_id]
        try:
            price = catalog.check_price(s.unit_price, field="unit_price")
        except DomainError:
            price = None
        if price != line.unit_price:
            raise NotAsShown(_("Line %(n)d, %(name)s: the price %(shown)s on the screen is not saved (the "
                                "voucher still says %(saved)s) — it waits for a manager's PIN. Approve it, or "
                                "put the price back, before writing up.", n=line.position, name=line.product_name,
                                shown=(s.unit_price or "").strip()[:20] or "—",
                                saved=format_money(line.unit_price)), line=s, approval=True)
        try:
            qty = Decimal(str(s.quantity).strip())
        except InvalidOperation:
            qty = None
        if qty != line.quantity:
            raise NotAsShown(_("Line %(n)d, %(name)s: the quantity %(shown)s on the screen is not saved (the "
                                "voucher still says %(saved)s). Check it before writing up.", n=line.position,
                                name=line.product_name, shown=(s.quantity or "").strip()[:20] or "—",
                                saved=plain_number(line.quantity)), line=s)


def write_up(session: Session, voucher: Voucher, *, actor: Staff, shown: list[ShownLine] | None = None,
             pending_product_id: int | None = None) -> Voucher:
    """Freeze the voucher: it gets its number and QR and goes to the cashier's queue.

    ``shown`` is what the clerk's screen showed (:func:`check_as_shown`): the voucher is frozen only
    at the prices and quantities the clerk saw. A signed-off business day takes no more vouchers.
    A double tap writes up once: the second tap waits for the first (the voucher's row lock)
    and answers the same voucher with the same number, which exists."""
    check_owner(voucher, actor)
    lock(session, voucher)
    if voucher.status == VoucherStatus.WRITTEN_UP and voucher.channel == "counter" and voucher.no:
        return voucher
    check_editable(voucher)
    if voucher.channel != "counter":
        raise DomainError(_("A phone order is written up by the manager's review."))
    if not voucher.lines:
        raise DomainError(_("Add at least one product before writing up the voucher."))
    check_as_shown(session, voucher, shown, pending_product_id)
    shop.check_day_open(session)
    problems = verify(voucher)
    if problems:
        raise DomainError(problems[0])
    _number(session, voucher)
    record(session, "sales.voucher_written_up", actor=actor, record=voucher,
           summary=f"{voucher.no} {format_money(voucher.total)}")
    return voucher


def cancel(session: Session, voucher: Voucher, reason: str, *, actor: Staff) -> None:
    """Cancel a written-up voucher before it is paid (with a reason, audited). It keeps its number.
    The voucher's row lock orders a cancel and a payment at the same moment: one of them is refused."""
    check_owner(voucher, actor)
    lock(session, voucher)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the voucher is cancelled."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("A reason has at most %(n)d characters.", n=200), field="reason")
    if voucher.status == VoucherStatus.CANCELLED:
        raise Conflict(_("Voucher %(no)s is already cancelled.", no=voucher.no))
    if voucher.status != VoucherStatus.WRITTEN_UP:
        raise DomainError(_("Only a written-up voucher can be cancelled."))
    if voucher.payment_state != PaymentState.UNPAID:
        raise Conflict(_("Voucher %(no)s has been paid: it can only be refunded.", no=voucher.no))
    voucher.status = VoucherStatus.CANCELLED
    voucher.cancelled_at = utcnow()
    voucher.cancelled_by = actor
    voucher.cancel_reason = reason
    record(session, "sales.voucher_cancelled", actor=actor, record=voucher, reason=reason,
           summary=f"{voucher.no} {format_money(voucher.total)}")


def discard_draft(session: Session, voucher: Voucher, *, actor: Staff) -> None:
    """Throw away a draft nobody wrote up (it has no number and moved no money)."""
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    session.delete(voucher)


def vouchers_of_day(session: Session, clerk: Staff | None, day=None, *, limit: int = 200) -> list[Voucher]:
    day = day or shop.business_today(session)
    stmt = select(Voucher).where(Voucher.business_day == day, Voucher.no.is_not(None))
    if clerk is not None:
        stmt = stmt.where(Voucher.clerk_id == clerk.id)
    return list(session.scalars(stmt.order_by(Voucher.id.desc()).limit(limit)))


# ------------------------------------------------------------------ phone orders (电话叫货, §5.3)
def start_phone_order(session: Session, *, actor: Staff, name: str, phone: str, address: str = "",
                      notes: str = "") -> Voucher:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the customer's name."), field="name")
    if len(notes or "") > 1000:
        raise DomainError(_("Notes have at most %(n)d characters.", n=1000), field="notes")
    customer = customers.find_or_register_customer(session, phone=phone, name=name, address=address, actor=actor)
    voucher = Voucher(clerk=actor, status=VoucherStatus.DRAFT, channel="phone", customer=customer,
                      customer_name=name, customer_phone=customer.phone,
                      delivery_address=(address or "").strip(), notes=(notes or "").strip(), total=Decimal("0"))
    session.add(voucher)
    session.flush()
    return voucher


def read_back_script(voucher: Voucher) -> list[str]:
    """What the clerk reads back to the customer before they confirm."""
    lines = [_("Mr/Ms %(name)s, let me read your order back to you:", name=voucher.customer_name)]
    for line in voucher.lines:
        lines.append(_("%(brand)s %(model)s %(name)s %(spec)s %(colour)s, %(qty)s %(unit)s at %(price)s each, "
                       "%(amount)s.", brand=line.brand_name, model=line.model, name=line.product_name,
                       spec=line.spec, colour=line.colour, qty=plain_number(line.quantity), unit=line.unit,
                       price=format_money(line.unit_price), amount=format_money(line.amount)))
    lines.append(_("In all %(total)s.", total=format_money(voucher.total)))
    if voucher.delivery_address:
        lines.append(_("Delivered to %(address)s; we will call %(phone)s.", address=voucher.delivery_address,
                       phone=voucher.customer_phone))
    lines.append(_("Is that right?"))
    return lines


def confirm_read_back(session: Session, voucher: Voucher, *, actor: Staff) -> None:
    """The customer confirmed the read-back: record the time and send it to review."""
    check_owner(voucher, actor)
    lock(session, voucher)
    check_editable(voucher)
    if voucher.channel != "phone":
        raise DomainError(_("Only phone orders are read back."))
    if not voucher.lines:
        raise DomainError(_("Add at least one product before reading the order back."))
    voucher.confirmed_at = utcnow()
    voucher.status = VoucherStatus.AWAITING_REVIEW
    record(session, "sales.phone_order_confirmed", actor=actor, record=voucher,
           summary=f"{voucher.customer_name} {voucher.customer_phone} {format_money(voucher.total)}")


def review_queue(session: Session) -> list[Voucher]:
    return list(session.scalars(
        select(Voucher).where(Voucher.status == VoucherStatus.AWAITING_REVIEW).order_by(Voucher.confirmed_at)
    ))


def _awaiting(session: Session, voucher: Voucher) -> None:
    """Lock the order and check it still waits for review (two managers at two desks: one decides)."""
    lock(session, voucher)
    if voucher.status == VoucherStatus.WRITTEN_UP and voucher.no:
        raise Conflict(_("This order is not waiting for review: it was approved as voucher %(no)s.", no=voucher.no))
    if voucher.status == VoucherStatus.REJECTED:
        raise Conflict(_("This order is not waiting for review: it was rejected."))
    if voucher.status != VoucherStatus.AWAITING_REVIEW:
        raise DomainError(_("This order is not waiting for review."))


def approve_phone_order(session: Session, voucher: Voucher, *, manager: Staff, pay_on_delivery: bool,
                        credit_override: str = "") -> Voucher:
    """Order review passed (stock, price, credit): the order becomes a written-up voucher. Paid on
    delivery it is credit: checked against the customer's limit (pos.customers.credit)."""
    from ..customers import credit

    _awaiting(session, voucher)
    if pay_on_delivery and not voucher.delivery_address:
        raise DomainError(_("Pay on delivery needs a delivery address."), field="pay_on_delivery")
    if pay_on_delivery:
        credit.check(session, voucher.customer_id, voucher.total, actor=manager, override=credit_override)
    problems = verify(voucher)
    if problems:
        raise DomainError(problems[0])
    voucher.reviewed_at = utcnow()
    voucher.reviewed_by = manager
    voucher.pay_on_delivery = bool(pay_on_delivery)
    _number(session, voucher)
    record(session, "sales.phone_order_approved", actor=manager, record=voucher,
           summary=f"{voucher.no} {format_money(voucher.total)}" + (" COD" if pay_on_delivery else ""),
           data={"voucher": voucher.no, "total": str(voucher.total), "pay_on_delivery": bool(pay_on_delivery)})
    return voucher


def reject_phone_order(session: Session, voucher: Voucher, reason: str, *, manager: Staff) -> None:
    _awaiting(session, voucher)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the order is rejected."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("A reason has at most %(n)d characters.", n=200), field="reason")
    voucher.status = VoucherStatus.REJECTED
    voucher.reviewed_at = utcnow()
    voucher.reviewed_by = manager
    voucher.review_note = reason
    record(session, "sales.phone_order_rejected", actor=manager, record=voucher, reason=reason,
           summary=f"{voucher.customer_name} {voucher.customer_phone}")


# ------------------------------------------------------------------ recommendations (建议购买)
@dataclass
class Suggestions:
    accessories: list[Product]
    alternatives: list[Product]
    history: list[Product]

    def __bool__(self) -> bool:
        return bool(self.accessories or self.alternatives or self.history)

    def with_pictures(self, session: Session) -> Suggestions:
        """Every card's pictures read in one statement (each product read its own when its card was drawn)."""
        catalog.load_pictures(session, [*self.accessories, *self.alternatives, *self.history])
        return self


def customer_history(session: Session, customer: Customer | None, *, exclude=(), limit: int = 6) -> list[Product]:
    """What this customer bought or looked at before, latest first."""
    if customer is None:
        return []
    bought = session.execute(
        select(VoucherLine.product_id, func.max(Voucher.written_up_at).label("at"))
        .join(Voucher, VoucherLine.voucher_id == Voucher.id)
        .where(Voucher.customer_id == customer.id, Voucher.no.is_not(None),
               Voucher.status != VoucherStatus.CANCELLED)
        .group_by(VoucherLine.product_id)
    ).all()
    looked = customers.interests(session, customer)
    latest: dict[int, object] = {}
    for product_id, at in [*bought, *looked]:
        if product_id in exclude or at is None:
            continue
        if product_id not in latest or str(at) > str(latest[product_id]):
            latest[product_id] = at
    ids = [pid for pid, _at in sorted(latest.items(), key=lambda kv: str(kv[1]), reverse=True)][:limit]
    if not ids:
        return []
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [products[i] for i in ids if i in products]


def suggestions_for_product(session: Session, product: Product, customer: Customer | None) -> Suggestions:
    alternatives = catalog.alternatives(session, product) if product.stock_on_hand <= 0 else []
    return Suggestions(
        accessories=catalog.accessories(session, [product.id]),
        alternatives=alternatives,
        history=customer_history(session, customer, exclude={product.id}),
    ).with_pictures(session)


def suggestions_for_voucher(session: Session, voucher: Voucher) -> Suggestions:
    ids = [line.product_id for line in voucher.lines]
    short = stock_shortages(voucher)
    alternatives: list[Product] = []
    short_lines = [line for line in voucher.lines if line.id in short][:3]  # the first few are enough
    for line in short_lines:
        for p in catalog.alternatives(session, line.product, limit=3):
            if p.id not in ids and p not in alternatives:
                alternatives.append(p)
    return Suggestions(
        accessories=catalog.accessories(session, ids),
        alternatives=alternatives[:6],
        history=customer_history(session, voucher.customer, exclude=set(ids)),
    ).with_pictures(session)
