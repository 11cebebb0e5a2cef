"""PostgreSQL: two managers approve the same month's appraisal at the same moment, each on a real
connection of its own — the month's row is locked (FOR UPDATE) and checked again under the lock, so
one approval is stored with its lines and the other is told it was already approved (409). The same
for an adjustment racing the approval: either it lands before (and is in the frozen lines) or it is
refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.extensions import db
from pos.reports import appraisal
from pos.reports.appraisal_models import AppraisalAdjustment, AppraisalLine, AppraisalMonth
from pos.staff import services as staff_services
from tests.pg.test_pg_races import race

pytestmark = pytest.mark.pg
ROUNDS = 10


def _race(app, calls):
    """Each ``call(session)`` in its own thread, app context, session and connection, released at once."""
    return race(app, calls, connect_first=True)


def _months(session, n):
    month = appraisal.parse_month(session, None)
    out = []
    for _ in range(n):
        month = month.previous()
        out.append(month)
    return out


def test_two_approvals_of_one_month_at_once_give_one(pg_app):
    session = db.session
    manager = staff_services.by_number(session, "M001")
    session.commit()
    for month in _months(session, ROUNDS):
        def approve(s, month=month):
            return appraisal.approve(s, month, manager=staff_services.by_number(s, "M001"))

        outcomes = _race(pg_app, [approve, approve])
        kinds = sorted(o[0] for o in outcomes)
        assert kinds == ["ok", "refused"], outcomes
        refused = next(o for o in outcomes if o[0] == "refused")
        assert refused[1] == 409
        session.expire_all()
        row = session.scalar(select(AppraisalMonth).where(AppraisalMonth.month == str(month)))
        assert row.approved_at is not None and row.approved_by_id == manager.id
        people = len(appraisal.month_appraisal(session, month).sheets)
        assert session.scalar(select(func.count(AppraisalLine.id)).where(AppraisalLine.month_id == row.id)) == people
        session.commit()
    assert session.scalar(select(func.count(AppraisalMonth.id))) == ROUNDS


def test_an_adjustment_racing_the_approval_is_in_the_frozen_lines_or_refused(pg_app):
    session = db.session
    c001 = staff_services.by_number(session, "C001").id
    session.commit()
    for month in _months(session, ROUNDS):
        def approve(s, month=month):
            return appraisal.approve(s, month, manager=staff_services.by_number(s, "M001"))

        def adjust(s, month=month):
            return appraisal.adjust(s, month, c001, "100", "竞赛奖励", manager=staff_services.by_number(s, "M001"))

        outcomes = _race(pg_app, [approve, adjust])
        assert outcomes[0][0] == "ok", outcomes
        assert outcomes[1][0] in ("ok", "refused") and (outcomes[1][0] == "ok" or outcomes[1][1] == 409), outcomes
        session.expire_all()
        row = session.scalar(select(AppraisalMonth).where(AppraisalMonth.month == str(month)))
        adjusted = session.scalar(select(func.count(AppraisalAdjustment.id))
                                  .where(AppraisalAdjustment.month_id == row.id)) or 0
        line = session.scalar(select(AppraisalLine).where(AppraisalLine.month_id == row.id,
                                                          AppraisalLine.staff_id == c001))
        assert adjusted == (1 if outcomes[1][0] == "ok" else 0)
        assert line.adjustment == Decimal("100.00") * adjusted
        session.commit()
