"""PostgreSQL: the money rules that read, check and write hold when real connections race.

Each test runs 20 rounds; in each round the racing calls start together (a barrier) in their
own threads, app contexts, sessions and connections. SQLite serialises every write, so these
races only show on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos import tx
from pos.cashier import services as cashier
from pos.cashier.models import Payment, Refund, Shift
from pos.catalog.models import Product
from pos.customers import services as customers
from pos.errors import DomainError
from pos.extensions import db
from pos.invoicing import services as invoicing
from pos.invoicing.models import InvoicePlatformLink, InvoiceVoid
from pos.sales import pickup
from pos.sales import services as sales
from pos.sales.models import Pickup, Voucher, VoucherStatus
from pos.shop.models import Station
from pos.staff import services as staff_services

pytestmark = pytest.mark.pg
ROUNDS = 20


def by_no(s, staff_no):
    return staff_services.by_number(s, staff_no)


def race(app, calls, *, connect_first: bool = False):
    """Run each ``call(session)`` in its own thread, app context and session, all released at once
    (``connect_first``: each with its database connection open before the start).
    Outcome per call: ("ok", result id), ("refused", status, message) or ("error", repr)."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list = [None] * len(calls)

    def worker(i, call):
        with app.app_context():
            try:
                if connect_first:
                    db.session.connection()
                barrier.wait()
                result = call(db.session)
                tx.commit(db.session)
                outcomes[i] = ("ok", getattr(result, "id", result))
            except DomainError as e:
                tx.rollback(db.session)
                outcomes[i] = ("refused", e.status, e.message)
            except Exception as e:  # noqa: BLE001 — a crash is an outcome the test looks at
                db.session.rollback()
                outcomes[i] = ("error", repr(e)[:300])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def kinds(outcomes):
    return sorted(o[0] for o in outcomes)


def _product(session, whole=True):
    return session.scalar(select(Product).where(Product.whole_units_only.is_(whole), Product.active.is_(True))
                          .order_by(Product.id).limit(1))


def write_up(session, *, clerk_no="C001", price=None, qty="1"):
    clerk = staff_services.by_number(session, clerk_no)
    product = _product(session)
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, product.id, qty, price, actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    return v.no


def open_shift(session, cashier_no="S001", station_index=0):
    station = list(session.scalars(select(Station).order_by(Station.code)))[station_index]
    shift = cashier.open_shift(session, cashier=by_no(session, cashier_no), station_id=station.id, counts={})
    session.commit()
    return shift


def pay(no, key, cashier_no="S001"):
    def call(s):
        v = sales.get_by_no(s, no)
        return cashier.take_payment(s, no, cashier=by_no(s, cashier_no), once_key=key,
                                    plain_cash=str(v.total))
    return call


# ------------------------------------------------------------------ 1. cancel vs pay
def test_cancel_and_pay_at_once_never_leave_a_cancelled_voucher_with_a_live_payment(pg_app):
    session = db.session
    open_shift(session)
    bad = []
    for round_ in range(ROUNDS):
        no = write_up(session)

        def cancel(s, no=no, delay=(round_ % 5) * 0.01):
            v = sales.get_by_no(s, no)  # the clerk's screen shows it unpaid
            time.sleep(delay)  # while the cashier is taking the money
            sales.cancel(s, v, "客户改主意", actor=by_no(s, "C001"))

        outcomes = race(pg_app, [pay(no, f"k{round_}"), cancel])
        assert "error" not in kinds(outcomes), outcomes
        session.expire_all()
        v = sales.get_by_no(session, no)
        live = cashier.live_payment(session, v)
        if (v.status == VoucherStatus.CANCELLED and live is not None) or kinds(outcomes) != ["ok", "refused"]:
            bad.append(round_)
    assert bad == [], f"{len(bad)} of {ROUNDS} rounds ended cancelled with a live payment"


# ------------------------------------------------------------------ 2. payment vs shift close
def test_a_payment_racing_the_shift_close_is_counted_or_refused(pg_app):
    session = db.session
    wrong = []
    for round_ in range(ROUNDS):
        shift = open_shift(session)
        shift_id = shift.id
        no = write_up(session)

        def close(s, shift_id=shift_id):
            cashier.close_shift(s, s.get(Shift, shift_id), {}, actor=by_no(s, "S001"))

        outcomes = race(pg_app, [pay(no, f"k{round_}"), close])
        assert "error" not in kinds(outcomes), outcomes
        session.expire_all()
        shift = session.get(Shift, shift_id)
        assert shift.closed_at is not None
        recomputed = cashier.summarise(session, shift).expected_cash
        if shift.expected_cash != recomputed:
            wrong.append((round_, shift.expected_cash, recomputed))
        late = session.scalar(select(func.count(Payment.id)).where(Payment.shift_id == shift_id,
                                                                   Payment.at > shift.closed_at))
        assert late == 0 or wrong
    assert wrong == [], f"{len(wrong)} of {ROUNDS} closed shifts leave out a payment: {wrong[:3]}"


def test_a_payment_into_a_closed_shift_is_refused(pg_app):
    session = db.session
    shift = open_shift(session)
    no = write_up(session)
    # the cashier's tablet still shows the pay form; the shift is closed on another tablet
    cashier.close_shift(session, shift, {}, actor=by_no(session, "S001"))
    session.commit()
    with pytest.raises(DomainError):
        pay(no, "late")(session)
    session.rollback()
    assert session.scalar(select(func.count(Payment.id))) == 0


# ------------------------------------------------------------------ 4. write-up and phone-order approval
def _draft(session, clerk_no="C001"):
    clerk = by_no(session, clerk_no)
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, _product(session).id, "1", None, actor=clerk)
    session.commit()
    return v.id


def _day_numbers(session):
    nos = sorted(session.scalars(select(Voucher.no).where(Voucher.no.is_not(None))))
    return [int(no.rsplit("-", 1)[1]) for no in nos]


def test_a_double_tap_on_write_up_numbers_once_and_without_gaps(pg_app):
    session = db.session
    problems = []
    for round_ in range(ROUNDS):
        voucher_id = _draft(session)

        def tap(s, voucher_id=voucher_id):
            return sales.write_up(s, sales.get_voucher(s, voucher_id), actor=by_no(s, "C001")).no

        outcomes = race(pg_app, [tap, tap])
        assert "error" not in kinds(outcomes), outcomes
        session.expire_all()
        for o in outcomes:
            if o[0] == "ok" and session.scalar(select(Voucher.id).where(Voucher.no == o[1])) is None:
                problems.append((round_, f"{o[1]} does not exist"))
    numbers = _day_numbers(session)
    gaps = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    assert problems == [] and gaps == [], (problems[:3], f"{len(gaps)} gaps")
    assert len(numbers) == ROUNDS


def _tablet(app, clerk, *, voucher_id=None):
    """A test client logged in as ``clerk`` (with ``voucher_id`` as the open voucher of its session)."""
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = clerk.get_id()
        sess["_fresh"] = True
        if voucher_id is not None:
            sess["voucher_id"] = voucher_id
    return c


def test_a_double_tap_on_write_up_through_the_app(pg_app):
    """The request path: two posts of the same session's write-up at once, as a double tap sends them."""
    session = db.session
    clerk = by_no(session, "C001")
    returned = []
    for _round in range(ROUNDS):
        _draft(session)
        clients = [_tablet(pg_app, clerk) for _ in range(2)]

        def tap(s, c):
            r = c.post("/counter/write-up")
            return r.status_code, r.headers.get("Content-Location") or r.headers.get("Location", "")

        outcomes = race(pg_app, [lambda s, c=c: tap(s, c) for c in clients])
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        statuses = sorted(o[1][0] for o in outcomes)
        assert all(st < 500 for st in statuses), outcomes
        # a voucher's page, by number (answered with it: pos.web.show); a tap that came after the first had
        # finished finds no draft and is answered with the counter and the message
        returned += [o[1][1].rsplit("/", 1)[-1] for o in outcomes if "/vouchers/" in o[1][1]]
    session.expire_all()
    numbers = _day_numbers(session)
    assert len(numbers) == ROUNDS
    assert sorted(set(range(1, ROUNDS + 1)) - set(numbers)) == []
    missing = [no for no in returned if session.scalar(select(Voucher.id).where(Voucher.no == no)) is None]
    assert missing == [], f"{len(missing)} numbers returned to the tablet do not exist"


def test_a_phone_order_approved_at_once_by_two_managers_is_approved_once(pg_app):
    session = db.session
    manager = by_no(session, "M001")
    twice = []
    for round_ in range(ROUNDS):
        clerk = by_no(session, "C001")
        v = sales.start_phone_order(session, actor=clerk, name="周先生", phone="13800138001",
                                    address="上海市浦东新区张杨路500号")
        sales.add_line(session, v, _product(session).id, "1", None, actor=clerk)
        sales.confirm_read_back(session, v, actor=clerk)
        session.commit()
        vid = v.id

        def approve(s, vid=vid):
            return sales.approve_phone_order(s, sales.get_voucher(s, vid), manager=by_no(s, "M001"),
                                             pay_on_delivery=False).no

        outcomes = race(pg_app, [approve, approve, approve])
        assert "error" not in kinds(outcomes), outcomes
        if kinds(outcomes).count("ok") != 1:
            twice.append(round_)
        assert all(o[1] == 409 for o in outcomes if o[0] == "refused"), outcomes
    numbers = _day_numbers(session)
    assert twice == [], f"{len(twice)} of {ROUNDS} orders approved more than once"
    assert numbers == list(range(1, ROUNDS + 1))
    del manager


# ------------------------------------------------------------------ 5. unique keys answer, not crash
def _paid_voucher(session, round_):
    no = write_up(session)
    pay(no, f"p{round_}")(session)
    session.commit()
    return no


def _invoice(session, no):
    inv = invoicing.issue(session, [no], invoicing.Buyer("周先生", "13800138001", "上海市浦东新区"),
                          preparer=by_no(session, "S001"))
    session.commit()
    return inv.no


def test_one_invoice_voided_at_once_from_two_tablets(pg_app):
    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        inv_no = _invoice(session, _paid_voucher(session, round_))

        def void(s, inv_no=inv_no):
            return invoicing.void(s, invoicing.get(s, inv_no), "开错抬头", actor=by_no(s, "S001"))

        outcomes = race(pg_app, [void, void, void])
        assert kinds(outcomes) == ["ok", "refused", "refused"], outcomes
        assert all(o[1] == 409 for o in outcomes if o[0] == "refused"), outcomes
    assert session.scalar(select(func.count(InvoiceVoid.id))) == ROUNDS


def test_one_platform_number_linked_at_once(pg_app):
    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        a = _invoice(session, _paid_voucher(session, f"{round_}a"))
        b = _invoice(session, _paid_voucher(session, f"{round_}b"))
        number = f"{round_:020d}"

        def link(inv_no, number=number):
            return lambda s: invoicing.link_platform(s, invoicing.get(s, inv_no), number, actor=by_no(s, "S001"))

        # the same number for one invoice from two tablets, and for another invoice at the same moment
        outcomes = race(pg_app, [link(a), link(a), link(b)])
        assert kinds(outcomes) == ["ok", "refused", "refused"], outcomes
        assert all(o[1] == 409 for o in outcomes if o[0] == "refused"), outcomes
    assert session.scalar(select(func.count(InvoicePlatformLink.id))) == ROUNDS


def test_a_refund_form_sent_twice_at_once_refunds_once(pg_app):
    session = db.session
    open_shift(session)
    manager = by_no(session, "M001")
    for round_ in range(ROUNDS):
        no = _paid_voucher(session, round_)
        line_id = sales.get_by_no(session, no).lines[0].id

        def refund(s, no=no, line_id=line_id, key=f"r{round_}"):
            return cashier.refund(s, no, {line_id: "1"}, method="cash", reason="质量问题", cashier=by_no(s, "S001"),
                                  approval=sales.Approval(manager.id, "9001"), once_key=key)

        outcomes = race(pg_app, [refund, refund])
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        assert outcomes[0][1] == outcomes[1][1], outcomes
    assert session.scalar(select(func.count(Refund.id))) == ROUNDS


def test_a_pickup_form_sent_twice_at_once_hands_over_once(pg_app):
    session = db.session
    open_shift(session)
    _product(session).stock_on_hand = Decimal(ROUNDS * 2)
    for round_ in range(ROUNDS):
        no = _paid_voucher(session, round_)
        line_id = sales.get_by_no(session, no).lines[0].id

        def take(s, no=no, line_id=line_id, key=f"t{round_}"):
            return pickup.hand_over(s, no, {line_id: "1"}, clerk=by_no(s, "C001"), once_key=key, shop_copy=True)

        outcomes = race(pg_app, [take, take])
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        assert outcomes[0][1] == outcomes[1][1], outcomes
    assert session.scalar(select(func.count(Pickup.id))) == ROUNDS


def test_a_payment_form_sent_twice_at_once_shows_the_same_receipt(pg_app):
    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        no = write_up(session)
        outcomes = race(pg_app, [pay(no, f"k{round_}"), pay(no, f"k{round_}")])
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        assert outcomes[0][1] == outcomes[1][1], outcomes
    assert session.scalar(select(func.count(Payment.id))) == ROUNDS
    assert session.scalar(select(func.sum(Payment.received))) > Decimal("0")


# ------------------------------------------------------------------ 3. the PIN lockout under 40 tries at once
def test_forty_wrong_pins_at_once_lock_and_the_right_pin_is_refused(pg_app):
    """Through the app, as tablets send them: 40 wrong PINs at once, then the right one. At most five
    tries are checked; the right PIN is refused while the lock runs."""
    from pos.audit.models import AuditEntry
    from pos.staff.models import PinThrottle

    session = db.session
    clerk_id = by_no(session, "C001").id
    slipped = []
    for round_ in range(ROUNDS):
        session.execute(PinThrottle.__table__.delete())
        session.commit()
        failed_before = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.kind == "staff.login_failed"))

        def wrong(s):
            return pg_app.test_client().post(f"/login/{clerk_id}", data={"pin": "0000"}).status_code

        outcomes = race(pg_app, [wrong] * 40)
        statuses = [o[1] for o in outcomes]
        assert all(o[0] == "ok" for o in outcomes) and all(st in (401, 423) for st in statuses), outcomes
        right = pg_app.test_client().post(f"/login/{clerk_id}", data={"pin": "1001"})
        session.expire_all()
        checked = session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.kind == "staff.login_failed")) - failed_before
        if right.status_code != 423 or checked > 5 or statuses.count(401) > 4:
            slipped.append((round_, right.status_code, checked))
    assert slipped == [], f"{len(slipped)} of {ROUNDS} rounds: more than five PINs checked or the right PIN let in: " \
                          f"{slipped[:3]}"


# ------------------------------------------------------------------ 6. the other rules that read, check and write
def test_a_day_signed_off_from_two_desks_at_once(pg_app):
    from datetime import timedelta

    from pos.reports import signoff as reports
    from pos.reports.models import ZReport
    from pos.shop.services import business_today

    session = db.session
    today = business_today(session)
    for round_ in range(ROUNDS):
        day = today - timedelta(days=round_ + 1)

        def sign(s, day=day):
            return reports.sign_off(s, day, manager=by_no(s, "M001"))

        outcomes = race(pg_app, [sign, sign])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert [o[1] for o in outcomes if o[0] == "refused"] == [409], outcomes
    assert sorted(session.scalars(select(ZReport.no))) == list(range(1, ROUNDS + 1))


def test_a_cheque_marked_from_two_desks_at_once(pg_app):
    from pos.cashier.models import ChequeClearance, Tender

    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        no = write_up(session)
        total = sales.get_by_no(session, no).total
        cashier.take_payment(session, no, cashier=by_no(session, "S001"), once_key=f"c{round_}",
                             others=[cashier.OtherTender("cheque", str(total), f"CHQ{round_}", "工商银行", "周先生")])
        session.commit()
        tender_id = session.scalar(select(Tender.id).where(Tender.reference == f"CHQ{round_}"))

        def mark(outcome, tender_id=tender_id):
            return lambda s: cashier.clear_cheque(s, tender_id, outcome, manager=by_no(s, "M001"), note="银行退票")

        outcomes = race(pg_app, [mark("cleared"), mark("bounced")])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert [o[1] for o in outcomes if o[0] == "refused"] == [409], outcomes
    assert session.scalar(select(func.count(ChequeClearance.id))) == ROUNDS


def test_a_shift_reviewed_and_a_quota_set_from_two_desks_at_once(pg_app):
    from pos.reports import quotas
    from pos.reports import signoff as reports
    from pos.reports.models import Quota, ShiftReview

    session = db.session
    for round_ in range(ROUNDS):
        shift = open_shift(session)
        cashier.close_shift(session, shift, {}, actor=by_no(session, "S001"))
        session.commit()
        shift_id = shift.id

        def review(s, shift_id=shift_id):
            return reports.review_shift(s, s.get(Shift, shift_id), "", manager=by_no(s, "M001"))

        month = quotas.Month(2025, round_ % 12 + 1) if round_ < 12 else quotas.Month(2024, round_ - 11)

        def quota(amount, month=month):
            return lambda s: quotas.set_quota(s, by_no(s, "C002").id, month, amount, "", manager=by_no(s, "M001"))

        outcomes = race(pg_app, [review, review, quota("100000"), quota("120000")])
        assert kinds(outcomes[:2]) == ["ok", "refused"], outcomes
        assert [o[1] for o in outcomes[:2] if o[0] == "refused"] == [409], outcomes
        assert [o[0] for o in outcomes[2:]] == ["ok", "ok"], outcomes
    assert session.scalar(select(func.count(ShiftReview.id))) == ROUNDS
    assert session.scalar(select(func.count(Quota.id))) == ROUNDS


def test_two_managers_removing_each_other_at_once_leave_one(pg_app):
    from pos.staff.models import Staff

    session = db.session
    for round_ in range(ROUNDS):
        ids = []
        for n in (1, 2):
            m = staff_services.create_staff(session, staff_no=f"X{round_}-{n}", full_name=f"店长{n}", roles=["manager"],
                                            pin="4321", password="password-1", actor=None)
            session.flush()
            ids.append(m.id)
        session.commit()
        a, b = ids

        def remove(target, actor, deactivate=round_ % 2 == 1):
            def call(s):
                who, by = s.get(Staff, target), s.get(Staff, actor)
                if deactivate:
                    return staff_services.deactivate(s, who, actor=by, reason="调岗")
                return staff_services.change_roles(s, who, ["clerk"], actor=by)
            return call

        outcomes = race(pg_app, [remove(a, b), remove(b, a)])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert [o[1] for o in outcomes if o[0] == "refused"] in ([403], [422]), outcomes
        session.expire_all()
        left = [m for m in (session.get(Staff, a), session.get(Staff, b)) if m.active and m.has_role("manager")]
        assert len(left) == 1


def test_one_staff_number_or_one_new_phone_registered_at_once(pg_app):
    for round_ in range(ROUNDS):
        def add(s, round_=round_):
            return staff_services.create_staff(s, staff_no=f"N{round_}", full_name="新人", roles=["clerk"], pin="1234",
                                               actor=None)

        def register(s, round_=round_):
            return customers.find_or_register_customer(s, phone=f"1390000{round_:04d}", name="新客户",
                                                   actor=by_no(s, "C001"))

        outcomes = race(pg_app, [add, add, register, register])
        assert kinds(outcomes[:2]) == ["ok", "refused"], outcomes
        assert [o[1] for o in outcomes[:2] if o[0] == "refused"] == [422], outcomes
        assert [o[0] for o in outcomes[2:]] == ["ok", "ok"] and outcomes[2][1] == outcomes[3][1], outcomes


# ------------------------------------------------------------------ line changes racing each other and the write-up
def _on_voucher(voucher_id, change):
    """A call for :func:`race`: ``change(session, voucher, clerk)`` on the voucher read in its own session."""
    def call(s):
        return change(s, s.get(Voucher, voucher_id), by_no(s, "C001"))
    return call


def test_line_changes_and_the_write_up_at_once_keep_the_voucher_whole(pg_app):
    """A double tap on the stepper, ✕ on another line, "+" twice and 开单, all at once on one voucher
    (two tablets of one clerk): the total moves by differences under the voucher's row lock, so it
    must stay the sum of its lines, the positions 1…n without a gap, and a voucher written up must be
    frozen as it is (its checksum holds: no change landed after its number)."""
    session = db.session
    clerk = by_no(session, "C001")
    a, b, c, d = session.scalars(select(Product).where(Product.whole_units_only.is_(True), Product.active.is_(True))
                                 .order_by(Product.id).limit(4))
    written = 0
    for round_ in range(ROUNDS):
        v = Voucher(clerk=clerk, status=VoucherStatus.DRAFT, channel="counter", total=Decimal("0"))
        session.add(v)
        session.flush()
        line_a = sales.add_line(session, v, a.id, "1", actor=clerk)
        line_b = sales.add_line(session, v, b.id, "2", actor=clerk)
        sales.add_line(session, v, c.id, "1", actor=clerk)
        session.commit()
        vid, a_id, b_id = v.id, line_a.id, line_b.id

        calls = [
            _on_voucher(vid, lambda s, v, me, line=a_id: sales.update_line(s, v, line, "3", str(a.list_price),
                                                                         actor=me)),
            _on_voucher(vid, lambda s, v, me, line=a_id: sales.update_line(s, v, line, "5", str(a.list_price),
                                                                         actor=me)),
            _on_voucher(vid, lambda s, v, me, line=b_id: sales.remove_line(s, v, line, actor=me)),
            _on_voucher(vid, lambda s, v, me: sales.add_line(s, v, d.id, "1", actor=me)),
            _on_voucher(vid, lambda s, v, me: sales.add_line(s, v, a.id, "1", actor=me)),
        ]
        if round_ % 2:
            calls.append(_on_voucher(vid, lambda s, v, me: sales.write_up(s, v, actor=me)))
        outcomes = race(pg_app, calls, connect_first=True)
        assert not [o for o in outcomes if o[0] == "error"], outcomes
        session.expire_all()
        v = session.get(Voucher, vid)
        assert sales.verify(v) == [], (round_, outcomes, sales.verify(v))
        assert [line.position for line in v.lines] == list(range(1, len(v.lines) + 1)), outcomes
        removed = outcomes[2][0] == "ok"
        assert (b_id in {line.id for line in v.lines}) is not removed, outcomes
        if v.status == VoucherStatus.WRITTEN_UP:
            written += 1
            assert v.checksum == sales.compute_checksum(v)
            # what came after the write-up was refused, naming the voucher
            assert all(o[0] == "ok" or (o[0] == "refused" and v.no in o[2]) for o in outcomes), outcomes
        else:
            assert kinds(outcomes) == ["ok"] * len(calls), outcomes
            # the stepper sets a quantity (3 or 5), "+" adds one: in whichever order they came
            assert sum(line.quantity for line in v.lines if line.product_id == a.id) in (3, 4, 5, 6), outcomes
            assert {line.product_id for line in v.lines} == {a.id, c.id, d.id}, outcomes
    assert written == ROUNDS // 2


def test_line_taps_at_once_through_the_app(pg_app):
    """The request path of "+" and the stepper (the voucher read under its row lock as the change
    starts): taps from two tablets of one clerk at once, on the voucher their sessions hold open."""
    session = db.session
    clerk = by_no(session, "C001")
    a, b = session.scalars(select(Product).where(Product.whole_units_only.is_(True), Product.active.is_(True))
                           .order_by(Product.id).limit(2))
    for _round in range(ROUNDS):
        v = Voucher(clerk=clerk, status=VoucherStatus.DRAFT, channel="counter", total=Decimal("0"))
        session.add(v)
        session.flush()
        line = sales.add_line(session, v, a.id, "1", actor=clerk)
        session.commit()
        clients = [_tablet(pg_app, clerk, voucher_id=v.id) for _ in range(4)]
        posts = [("/counter/lines", {"product_id": a.id, "quantity": "1"}),
                 ("/counter/lines", {"product_id": b.id, "quantity": "2"}),
                 ("/counter/lines", {"product_id": b.id, "quantity": "1"}),
                 (f"/counter/lines/{line.id}", {"quantity": "4", "unit_price": str(a.list_price)})]

        def tap(s, c, url, form):
            return c.post(url, data=form, headers={"HX-Request": "true"}).status_code

        outcomes = race(pg_app, [lambda s, c=c, p=p: tap(s, c, *p) for c, p in zip(clients, posts, strict=True)])
        assert [o[:2] for o in outcomes] == [("ok", 200)] * 4, outcomes
        session.expire_all()
        v = session.get(Voucher, v.id)
        assert sales.verify(v) == [], sales.verify(v)
        assert [x.position for x in v.lines] == list(range(1, len(v.lines) + 1))
        by_product = {p: sum(x.quantity for x in v.lines if x.product_id == p) for p in (a.id, b.id)}
        assert by_product[b.id] == 3  # both "+" of b counted, on one line
        assert by_product[a.id] in (4, 5), by_product  # the stepper's 4 before or after the "+"
