"""Pickup (取货): hand over the goods against the stamped voucher, line by line; stock
goes down in the same transaction and never below zero silently."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from printing.documents import QR, Cut, Document, KeyValue, Separator, SignatureLine, Text, Title

from ..audit.services import record
from ..catalog.models import Product
from ..clock import format_local
from ..errors import Conflict, DomainError, NotFound
from ..money import plain_number
from ..staff.models import Staff
from . import after_handover
from . import serials as serial_rules
from .models import PaymentState, Pickup, PickupLine, Voucher, VoucherStatus
from .serial_models import SoldSerial
from .services import normalise_no, parse_quantity


def picked(session: Session, voucher: Voucher) -> dict[int, Decimal]:
    """Voucher line id → quantity already handed over (summed in the Quantity type)."""
    rows = session.execute(
        select(PickupLine.voucher_line_id, func.sum(PickupLine.quantity)).join(Pickup)
        .where(Pickup.voucher_id == voucher.id).group_by(PickupLine.voucher_line_id)
    ).all()
    return {line_id: total or Decimal("0") for line_id, total in rows}


def remaining(session: Session, voucher: Voucher) -> dict[int, Decimal]:
    done = picked(session, voucher)
    return {line.id: line.quantity - done.get(line.id, Decimal("0")) for line in voucher.lines}


def check_can_hand_over(voucher: Voucher, *, for_delivery: bool = False) -> None:
    """Refuse, with the reason, a voucher whose goods may not leave the shop."""
    if voucher.status == VoucherStatus.CANCELLED:
        raise DomainError(_("Voucher %(no)s was cancelled: no goods.", no=voucher.no))
    if voucher.status != VoucherStatus.WRITTEN_UP:
        raise DomainError(_("Voucher %(no)s is not written up.", no=voucher.no))
    if voucher.payment_state == PaymentState.AWAITING_CLEARANCE:
        raise DomainError(_("Voucher %(no)s was paid by cheque and the funds have not arrived: the goods "
                            "stay until the manager marks the cheque cleared.", no=voucher.no))
    if voucher.payment_state == PaymentState.REFUNDED:
        raise DomainError(_("Voucher %(no)s was refunded: no goods.", no=voucher.no))
    if voucher.payment_state != PaymentState.PAID and not (for_delivery and voucher.pay_on_delivery):
        raise DomainError(_("Voucher %(no)s is not paid: send the customer to the cashier first.", no=voucher.no))
    if voucher.pickup_state == "complete":
        raise Conflict(_("Everything on voucher %(no)s has already been handed over.", no=voucher.no))


def find_for_pickup(session: Session, no: str, *, lock: bool = False) -> Voucher:
    stmt = select(Voucher).where(Voucher.no == normalise_no(no))
    if lock:
        stmt = stmt.with_for_update(of=Voucher).execution_options(populate_existing=True)
    voucher = session.scalar(stmt)
    if voucher is None:
        raise NotFound(_("No voucher numbered %(no)s.", no=(no or "").strip()[:30]))
    return voucher


def hand_over(session: Session, no: str, quantities: dict, *, clerk: Staff, once_key: str,
              shop_copy: bool, mode: str = "counter", serials: dict | None = None) -> Pickup:
    """Hand over (part of) a voucher's goods; ``mode='delivery'`` when they leave for delivery.
    ``serials``: voucher line id → the serial numbers typed or scanned for its pieces (one per piece
    of a product that requires them; see :mod:`pos.sales.serials`)."""
    once_key = (once_key or "").strip()
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This pickup form is out of date: reload the page."))
    done = session.scalar(select(Pickup).where(Pickup.once_key == once_key))
    if done is not None:
        return done
    voucher = find_for_pickup(session, no, lock=True)
    done = session.scalar(select(Pickup).where(Pickup.once_key == once_key))
    if done is not None:  # the same form sent twice at once: the other one handed over, under the lock
        return done
    check_can_hand_over(voucher, for_delivery=mode == "delivery")
    if mode == "counter" and not shop_copy:
        raise DomainError(_("Collect the shop's copy of the voucher, then tick it."), field="shop_copy")
    left = remaining(session, voucher)
    lines = {line.id: line for line in voucher.lines}
    wanted = []
    for line_id, raw in quantities.items():
        text = str(raw or "").strip()
        if text in ("", "0"):
            continue
        line = lines.get(int(line_id)) if str(line_id).isdecimal() else None
        if line is None:
            raise NotFound(_("That line is not on this voucher."))
        qty = parse_quantity(line.product, text)  # the one quantity parser: whole units, three decimals
        if qty > left[line.id]:
            raise DomainError(_("%(name)s: %(left)s left to hand over, not %(qty)s.", name=line.product_name,
                                left=plain_number(left[line.id]), qty=plain_number(qty)), field="quantity")
        wanted.append((line, qty))
    if not wanted:
        raise DomainError(_("Tick what is handed over: a quantity on at least one line."), field="quantity")
    checked_serials = serial_rules.check_serials(session, wanted, serials, voucher.lines)
    pickup = Pickup(once_key=once_key, voucher_id=voucher.id, clerk_id=clerk.id, mode=mode,
                    shop_copy_collected=bool(shop_copy))
    session.add(pickup)
    for line, qty in wanted:
        # stock goes down here, in this transaction, and never below zero
        result = session.execute(update(Product).where(Product.id == line.product_id, Product.stock_on_hand >= qty)
                                 .values(stock_on_hand=Product.stock_on_hand - qty))
        if result.rowcount != 1:
            on_hand = session.scalar(select(Product.stock_on_hand).where(Product.id == line.product_id))
            raise DomainError(_("%(name)s: only %(n)s in stock, %(qty)s asked. Hand over what is there; the rest "
                                "stays open on the voucher.", name=line.product_name, n=plain_number(on_hand),
                                qty=plain_number(qty)), field="quantity")
        pickup.lines.append(PickupLine(voucher_line_id=line.id, quantity=qty))
        left[line.id] -= qty
    voucher.pickup_state = "complete" if all(q <= 0 for q in left.values()) else "partial"
    session.flush()
    sold = serial_rules.record_serials(session, pickup, voucher, checked_serials)
    record(session, "sales.picked_up" if mode == "counter" else "sales.dispatched", actor=clerk, record=voucher,
           summary=f"{voucher.no}: " + ", ".join(f"{line.product_name} ×{plain_number(q)}" for line, q in wanted)
                   + f" ({voucher.pickup_state})",
           data={"voucher": voucher.no, "state": voucher.pickup_state,
                 "lines": [{"name": line.product_name, "qty": plain_number(q)} for line, q in wanted],
                 **({"serials": [f"{row.product.name} {row.serial}" for row in sold]} if sold else {})})
    # after-sales (above sales) schedules the return visit once everything is with the customer
    after_handover.notify(session, voucher, how="pickup" if mode == "counter" else "dispatch", actor=clerk)
    return pickup


def pickups_of(session: Session, voucher: Voucher) -> list[Pickup]:
    """The voucher's pickups, oldest first. None are asked for while its ``pickup_state`` is "none": the
    first pickup moves it (:func:`hand_over`, in the same transaction)."""
    if voucher.pickup_state == "none":
        return []
    return list(session.scalars(select(Pickup).where(Pickup.voucher_id == voucher.id).order_by(Pickup.id)))


def handover_document(session: Session, p: Pickup, shop_name: str) -> Document:
    """The handover note (交货单) of one pickup: what was handed over, each piece's serial number
    and its warranty, for the customer to keep (and to sign the shop's copy)."""
    v = p.voucher
    rows = list(session.scalars(select(SoldSerial).where(SoldSerial.pickup_id == p.id).order_by(SoldSerial.id)))
    by_line: dict[int, list] = {}
    for row in rows:
        by_line.setdefault(row.voucher_line_id, []).append(row)
    title = "交货单" if p.mode == "counter" else "出库单（送货）"
    blocks: list = [Title(shop_name), Text(title, align="center", bold=True),
                    KeyValue("销售单", v.no), KeyValue("交货时间", format_local(p.at)),
                    KeyValue("经办", p.clerk.full_name)]
    if v.customer_name:
        blocks.append(KeyValue("顾客", v.customer_name))
    blocks.append(Separator())
    for pl in p.lines:
        vl = pl.voucher_line
        blocks.append(KeyValue(f"{vl.product_name} {vl.model}".strip(), f"{plain_number(pl.quantity)}{vl.unit}"))
        for row in by_line.get(vl.id, []):
            blocks.append(Text(f"  序列号 {row.serial}"))
            if row.warranty_until:
                blocks.append(Text(f"  保修至 {row.warranty_until.isoformat()}"))
    blocks += [Separator(), QR(v.no), SignatureLine("顾客签字"), Cut()]
    return Document(blocks=blocks)
