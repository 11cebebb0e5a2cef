"""Customers (顾客): found by their phone, registered once, what they looked at. Sales, delivery,
invoicing and the property office use these rules; what a customer bought is the sales' record
(``sales.services.customer_history`` adds it to what they looked at)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import record
from ..catalog.models import Product
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError
from ..staff.models import Staff
from ..text import phone as normalised_phone
from .models import Customer, CustomerInterest


def check_phone(phone: str) -> str:
    """The phone as stored and compared (pos.text.phone): ``+86 138-0013-8001``, ``１３８００１３８００１``
    and ``13800138001`` are one customer; anything but a mobile or a landline with its area code is refused."""
    return normalised_phone(phone)


def find_customer(session: Session, phone: str) -> Customer | None:
    try:
        plain = check_phone(phone)
    except DomainError:
        return None
    return session.scalar(select(Customer).where(Customer.phone == plain))


def find_or_register_customer(session: Session, *, phone: str, name: str = "", address: str = "",
                              actor: Staff) -> Customer:
    plain = check_phone(phone)
    name = (name or "").strip()
    if len(name) > 60:
        raise DomainError(_("A name has at most %(n)d characters.", n=60), field="name")
    if len(address or "") > 200:
        raise DomainError(_("An address has at most %(n)d characters.", n=200), field="address")
    customer = session.scalar(select(Customer).where(Customer.phone == plain))
    if customer is None:
        if not name:
            raise DomainError(_("New customer: enter the name too."), field="name")
        try:
            with session.begin_nested():  # two tablets registering one phone at once: the unique index decides
                customer = Customer(name=name, phone=plain, address=(address or "").strip(), created_by_id=actor.id)
                session.add(customer)
                session.flush()
        except IntegrityError:
            customer = session.scalar(select(Customer).where(Customer.phone == plain))  # the other one's
            if customer is None:
                raise
            return customer
        record(session, "customers.registered", actor=actor, record=customer, summary=f"{name} {plain}")
    else:
        if address and address.strip() and address.strip() != customer.address:
            customer.address = address.strip()
    return customer


class PhoneTaken(Conflict):
    """The phone typed for a new customer is already a customer's: the screen offers their record
    (``customer_id``, ``name`` and the phone as this person may see it) instead of saving anything."""

    def __init__(self, customer: Customer, shown_phone: str):
        super().__init__(_("This phone already belongs to customer %(name)s (%(phone)s): open their file and "
                           "use it, or check the number. Nothing was saved.", name=customer.name, phone=shown_phone),
                         field="phone")
        self.existing = {"id": customer.id, "name": customer.name, "phone": shown_phone}


def refuse_if_taken(session: Session, *, phone: str, name: str, actor: Staff) -> None:
    """A new customer's phone and name typed: if the phone is already another name's customer, refuse
    (:class:`PhoneTaken`, 409) rather than silently filing the new paper under them. The same name
    (spaces aside) or no name is the clerk picking the customer by phone: allowed."""
    from . import ownership as own

    plain = check_phone(phone)
    typed = " ".join((name or "").split())
    customer = session.scalar(select(Customer).where(Customer.phone == plain))
    if customer is None or not typed or typed == " ".join(customer.name.split()):
        return
    raise PhoneTaken(customer, own.shown_phone(actor, customer, own.owner_of(session, customer.id)))


def record_interest(session: Session, customer: Customer | None, product: Product, *, actor: Staff) -> None:
    """The clerk showed a known customer this product: remember it (one row per day is enough)."""
    if customer is None:
        return
    recent = session.scalar(
        select(CustomerInterest).where(CustomerInterest.customer_id == customer.id,
                                       CustomerInterest.product_id == product.id)
        .order_by(CustomerInterest.at.desc()).limit(1)
    )
    if recent is not None and (utcnow() - recent.at).total_seconds() < 86400:
        return
    session.add(CustomerInterest(customer_id=customer.id, product_id=product.id, staff_id=actor.id))


def interests(session: Session, customer: Customer) -> list[tuple[int, object]]:
    """(product id, when last shown) for each product the customer was shown."""
    return list(session.execute(
        select(CustomerInterest.product_id, func.max(CustomerInterest.at).label("at"))
        .where(CustomerInterest.customer_id == customer.id).group_by(CustomerInterest.product_id)
    ).all())
