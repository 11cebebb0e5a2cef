"""Credit (信用评估): a grade (A–D) and a credit limit per customer, set by the manager with a
reason (each change a new row: the history is kept); the customer's open credit; the check a
phone order's review makes before it lets goods go paid on delivery; customers flagged for review.

Open credit = unpaid pay-on-delivery vouchers + unpaid property instalments already due. Both
come from the domains that know them (sales, property), registered here at import
(``register_open_credit_source``): customers never imports them.

A customer with no limit recorded is not checked (the shop gives credit case by case until the
manager sets one). A customer flagged for review (a bounced cheque) gets no credit until the
manager clears the flag. Over the limit the review is refused unless the manager overrides it
with a reason (audited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..money import format_money
from ..staff.models import Staff
from .file_models import CreditLimit, CreditReview
from .models import Customer

GRADES = ("A", "B", "C", "D")
#: the most a manager may set as one customer's credit limit (a typo guard: ￥10,000,000)
MAX_LIMIT = Decimal("10000000")

KIND_LABELS.update({
    "customers.credit_limit": _l("Credit limit set"),
    "customers.credit_flagged": _l("Customer flagged for credit review"),
    "customers.credit_cleared": _l("Credit review cleared"),
    "customers.credit_override": _l("Credit limit overridden"),
})

#: (session, customer_id) -> [(what, amount)] of open credit
OpenCreditSource = Callable[[Session, int], list[tuple[str, Decimal]]]
_sources: dict[str, OpenCreditSource] = {}


def register_open_credit_source(fn: OpenCreditSource) -> OpenCreditSource:
    _sources[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def current_limit(session: Session, customer_id: int) -> CreditLimit | None:
    return session.scalar(select(CreditLimit).where(CreditLimit.customer_id == customer_id)
                          .order_by(CreditLimit.id.desc()).limit(1))


def history(session: Session, customer_id: int) -> list[CreditLimit]:
    return list(session.scalars(select(CreditLimit).where(CreditLimit.customer_id == customer_id)
                                .order_by(CreditLimit.id.desc())))


def open_review(session: Session, customer_id: int) -> CreditReview | None:
    return session.scalar(select(CreditReview).where(CreditReview.customer_id == customer_id,
                                                     CreditReview.cleared_at.is_(None)).limit(1))


@dataclass
class Standing:
    limit: CreditLimit | None
    items: list[tuple[str, Decimal]]
    review: CreditReview | None

    @property
    def open_credit(self) -> Decimal:
        return sum((amount for _what, amount in self.items), Decimal("0.00"))

    @property
    def available(self) -> Decimal | None:
        return None if self.limit is None else self.limit.credit_limit - self.open_credit


def standing(session: Session, customer_id: int) -> Standing:
    items: list[tuple[str, Decimal]] = []
    for source in list(_sources.values()):
        items.extend(source(session, customer_id))
    return Standing(current_limit(session, customer_id), items, open_review(session, customer_id))


def set_limit(session: Session, customer_id, *, grade: str, limit, reason: str, actor: Staff) -> CreditLimit:
    """The manager sets the customer's credit grade and limit with a reason (a new row; the old kept)."""
    from ..text import check_text, parse_decimal, parse_id

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager sets a customer's credit."))
    customer = session.scalar(select(Customer).where(Customer.id == (parse_id(customer_id) or 0)).with_for_update())
    if customer is None:
        raise NotFound(_("No such customer."))
    if grade not in GRADES:
        raise DomainError(_("Choose a credit grade from A to D."), field="grade")
    amount = parse_decimal(limit, label=_("Credit limit"), places=2, minimum=Decimal("0"), maximum=MAX_LIMIT,
                           field="credit_limit")
    reason = check_text(reason, label=_("Reason"), max_len=500, required=True, field="reason")
    before = current_limit(session, customer.id)
    row = CreditLimit(customer_id=customer.id, grade=grade, credit_limit=amount, reason=reason, set_by_id=actor.id,
                      at=utcnow())
    session.add(row)
    session.flush()
    record(session, "customers.credit_limit", actor=actor, record=customer, reason=reason,
           summary=f"{customer.name}: {before.grade + ' ' + format_money(before.credit_limit) if before else '—'}"
                   f" → {grade} {format_money(amount)}")
    return row


def flag_for_review(session: Session, customer_id: int | None, reason: str, *, actor: Staff | None) -> None:
    """Flag the customer for a credit review (called when their cheque bounces); once while open."""
    if customer_id is None or open_review(session, customer_id) is not None:
        return
    session.add(CreditReview(customer_id=customer_id, reason=reason[:500], at=utcnow()))
    session.flush()
    customer = session.get(Customer, customer_id)
    record(session, "customers.credit_flagged", actor=actor, record=customer, reason=reason[:500],
           summary=customer.name if customer else "")


def clear_review(session: Session, customer_id, *, note: str, actor: Staff) -> CreditReview:
    from ..text import check_text, parse_id

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager clears a credit review."))
    row = session.scalar(select(CreditReview).where(CreditReview.customer_id == (parse_id(customer_id) or 0),
                                                    CreditReview.cleared_at.is_(None)).with_for_update())
    if row is None:
        raise Conflict(_("This customer is not flagged for a credit review."))
    row.cleared_note = check_text(note, label=_("Note"), max_len=500, required=True, field="note")
    row.cleared_at, row.cleared_by_id = utcnow(), actor.id
    record(session, "customers.credit_cleared", actor=actor, record=session.get(Customer, row.customer_id),
           reason=row.cleared_note)
    return row


def check(session: Session, customer_id: int | None, amount: Decimal, *, actor: Staff, override: str = "") -> None:
    """Before credit is given (a phone order paid on delivery): refuse when the customer is flagged
    for review or when the open credit plus ``amount`` would pass their limit — unless the manager
    overrides with a reason (audited). The customer's row is locked so two reviews at once see each
    other's credit."""
    from ..text import check_text

    if customer_id is None:
        return
    customer = session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    now = standing(session, customer_id)
    problem = None
    if now.review is not None:
        problem = _("%(name)s is flagged for a credit review (%(why)s): no credit until the manager clears it.",
                    name=customer.name, why=now.review.reason)
    elif now.limit is not None and now.open_credit + amount > now.limit.credit_limit:
        problem = _("Over the credit limit: %(name)s may owe at most %(limit)s; %(open)s is open and this order is "
                    "%(amount)s.", name=customer.name, limit=format_money(now.limit.credit_limit),
                    open=format_money(now.open_credit), amount=format_money(amount))
    if problem is None:
        return
    override = (override or "").strip()
    if not override or not actor.has_role("manager"):
        raise DomainError(problem, field="pay_on_delivery")
    override = check_text(override, label=_("Reason"), max_len=500, required=True, field="credit_override")
    record(session, "customers.credit_override", actor=actor, record=customer, reason=override,
           summary=f"{customer.name} {format_money(amount)} ({problem})")
