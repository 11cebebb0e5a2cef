"""What waits for the manager, counted for the home page's tiles (店长工作台): phone orders to
review, cheques waiting for their funds, closed shifts not reviewed yet."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import nav
from ..cashier.models import Shift
from ..cashier.services import pending_cheques
from ..extensions import db
from ..sales.models import Voucher, VoucherStatus
from .models import ShiftReview


def phone_orders_to_review() -> int:
    return db.session.scalar(select(func.count(Voucher.id)).where(Voucher.status == VoucherStatus.AWAITING_REVIEW))


def cheques_waiting() -> int:
    return len(pending_cheques(db.session))


def shifts_to_review() -> int:
    return db.session.scalar(
        select(func.count(Shift.id)).outerjoin(ShiftReview, ShiftReview.shift_id == Shift.id)
        .where(Shift.closed_at.is_not(None), ShiftReview.id.is_(None))
    )


nav.register_waiting("sales.review_list", phone_orders_to_review, nav._l("phone orders to review"))
nav.register_waiting("cashier.cheques", cheques_waiting, nav._l("cheques waiting for their funds"))
nav.register_waiting("reports.day", shifts_to_review, nav._l("closed shifts to review"))
