"""Subscription agreements (商品房认购书): drafted for an available unit or one held for the same
customer; the unit becomes subscribed and the agreement takes its one live claim; every bad input
is refused with a clear message and nothing saved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.property import agreements, services
from pos.property.ids import check_char
from pos.property.models import AVAILABLE, SUBSCRIBED, UnitClaim
from pos.property.sale_models import Agreement, AgreementBuyer
from tests.conftest import login_as
from tests.helpers import count, row_counts, text

pytestmark = pytest.mark.usefixtures("english")

GOOD_ID = "11010519491231002X"  # the textbook example of GB 11643-1999
BODY2 = "31011519850612123"
SECOND_ID = BODY2 + check_char(BODY2)


def buyer(name="张先生", id_number=GOOD_ID, phone="13800138000", share="", id_type="resident_id"):
    return agreements.BuyerInput(name=name, id_type=id_type, id_number=id_number, phone=phone,
                                 address="上海市浦东新区锦绣路1号", share=share)


def typed(unit, **over):
    data = dict(buyers=[buyer()], total_price=str(unit.list_total), deposit="50000",
                contract_deadline=(local_today() + timedelta(days=7)).isoformat(), payment_method="mortgage",
                loan_type="commercial", down_payment_pct="30", signing_place="翠湖湾花园售楼处")
    data.update(over)
    return agreements.AgreementInput(**data)


def test_agreement_for_an_available_unit(session, b1, unit_no, agent):
    unit = unit_no(b1, "101")
    assert unit.status == AVAILABLE
    a = agreements.create_agreement(session, unit.id, typed(unit), actor=agent)
    session.flush()
    assert a.no.endswith("-00001") and a.state == "awaiting_deposit"
    assert unit.status == SUBSCRIBED and unit.sold_total == a.total_price == unit.list_total
    assert a.deposit == Decimal("50000.00") and a.discount == Decimal("0.00")
    assert a.seller_name == "上海锦华置业有限公司" and a.escrow_account_no == "31050161373600001234"
    assert a.buyers[0].share_bp == 10000 and a.buyers[0].id_number == GOOD_ID
    live = session.scalars(select(UnitClaim).where(UnitClaim.unit_id == unit.id, UnitClaim.ended_at.is_(None))).all()
    assert [c.id for c in live] == [a.claim_id] and live[0].kind == "agreement"
    # per-m² price of the agreement times the area gives the total to within rounding
    assert abs(a.unit_price * a.gross_area - a.total_price) < Decimal("1")


def test_agreement_for_a_unit_held_for_the_same_customer_takes_over_the_hold(session, b1, unit_no, agent):
    unit = unit_no(b1, "1801")  # demo: held by C001 for 张先生
    hold = services.live_claim(session, unit.id)
    a = agreements.create_agreement(session, unit.id, typed(unit, buyers=[buyer("张先生")]), actor=agent)
    session.flush()
    assert hold.ended_at is not None and hold.end_reason == "converted"
    assert services.live_claim(session, unit.id).id == a.claim_id
    assert unit.status == SUBSCRIBED


def test_unit_held_for_someone_else_is_refused(session, b1, unit_no, agent2):
    unit = unit_no(b1, "1801")
    before = row_counts(session)
    with pytest.raises(Conflict, match="held by .* for 张先生, not for this buyer"):
        agreements.create_agreement(session, unit.id, typed(unit, buyers=[buyer("孙女士")]), actor=agent2)
    session.rollback()
    assert row_counts(session) == before


def test_unit_already_subscribed_is_refused(session, b1, unit_no, agent, agent2):
    unit = unit_no(b1, "102")
    agreements.create_agreement(session, unit.id, typed(unit), actor=agent)
    session.flush()
    with pytest.raises(Conflict, match="already taken"):
        agreements.create_agreement(session, unit.id, typed(unit, buyers=[buyer("李四", SECOND_ID)]), actor=agent2)


def test_co_buyers_shares_must_add_up_to_100(session, b1, unit_no, agent):
    unit = unit_no(b1, "103")
    two = [buyer("张三", GOOD_ID, share="50"), buyer("李四", SECOND_ID, "13900139000", share="49.99")]
    with pytest.raises(DomainError, match="add up to 99.99 %, not 100 %"):
        agreements.create_agreement(session, unit.id, typed(unit, buyers=two), actor=agent)
    two[1].share = "５０％"  # full-width digits and per-cent sign, as typed on a Chinese keyboard
    a = agreements.create_agreement(session, unit.id, typed(unit, buyers=two), actor=agent)
    assert [b.share_pct for b in a.buyers] == [Decimal("50.00"), Decimal("50.00")]
    assert a.buyer_names == "张三、李四"


@pytest.mark.parametrize("over, message, field", [
    ({"deposit": "0"}, "more than 0", "deposit"),
    ({"deposit": "-1"}, "more than 0", "deposit"),
    ({"deposit": "abc"}, "not a number", "deposit"),
    ({"deposit": "9999999"}, "at most 20%", "deposit"),
    ({"contract_deadline": "2000-01-01"}, "after today", "contract_deadline"),
    ({"contract_deadline": "tomorrow"}, "not a date", "contract_deadline"),
    ({"payment_method": "barter"}, "payment method", "payment_method"),
    ({"loan_type": ""}, "kind of loan", "loan_type"),
    ({"down_payment_pct": "5"}, "out of range", "down_payment_pct"),
    ({"signing_place": ""}, "required", "signing_place"),
    ({"total_price": "1"}, "below the floor price", "price"),
    ({"total_price": "99999999"}, "above the filed price", "price"),
])
def test_bad_input_is_refused_and_nothing_saved(session, b1, unit_no, agent, over, message, field):
    unit = unit_no(b1, "104")
    before = row_counts(session)
    with pytest.raises(DomainError, match=message) as refused:
        agreements.create_agreement(session, unit.id, typed(unit, **over), actor=agent)
    assert refused.value.field == field
    session.rollback()
    assert row_counts(session) == before
    assert unit_no(b1, "104").status == AVAILABLE


def test_deposit_at_exactly_20_percent_is_allowed(session, b1, unit_no, agent):
    unit = unit_no(b1, "104")
    cap = (unit.list_total * Decimal("0.2")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    a = agreements.create_agreement(session, unit.id, typed(unit, deposit=str(cap)), actor=agent)
    assert a.deposit == cap


@pytest.mark.parametrize("id_number, message", [
    ("110105194912310021", "check digit is wrong"),
    ("1101051949123100", "18 characters"),
])
def test_bad_resident_id_is_refused(session, b1, unit_no, agent, id_number, message):
    unit = unit_no(b1, "104")
    with pytest.raises(DomainError, match=message) as refused:
        agreements.create_agreement(session, unit.id, typed(unit, buyers=[buyer(id_number=id_number)]), actor=agent)
    assert refused.value.field == "buyer_id_number_0"


def test_passport_number_and_phone_are_normalised(session, b1, unit_no, agent):
    unit = unit_no(b1, "201")
    b = buyer("John Smith", "e 1234 5678", "+86 139-0013-9000", id_type="passport")
    a = agreements.create_agreement(session, unit.id, typed(unit, buyers=[b]), actor=agent)
    assert (a.buyers[0].id_number, a.buyers[0].phone) == ("E12345678", "13900139000")


def test_discount_beyond_the_agents_limit_needs_a_manager(session, b1, unit_no, agent, manager):
    unit = unit_no(b1, "202")
    price = (unit.list_total * Decimal("0.96")).quantize(Decimal("0.01"))  # 4 % off, the agent may give 2 %
    with pytest.raises(Forbidden, match="manager must approve"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(price)), actor=agent)
    a = agreements.create_agreement(session, unit.id, typed(unit, total_price=str(price)), actor=agent,
                                    approver=manager)
    assert a.discount == unit.list_total - price and a.discount_approved_by_id == manager.id


# ------------------------------------------------------------------ screens
def _form(unit, **over):
    data = {"total_price": str(unit.list_total), "deposit": "50000",
            "contract_deadline": (local_today() + timedelta(days=10)).isoformat(), "payment_method": "mortgage",
            "loan_type": "combined", "down_payment_pct": "35", "signing_place": "售楼处",
            "buyer_name_0": "王五", "buyer_id_type_0": "resident_id",
            "buyer_id_number_0": "１１０１０５１９４９１２３１００２ｘ",
            "buyer_phone_0": "138 0013 8000", "buyer_address_0": "上海市", "buyer_share_0": ""}
    data.update(over)
    return data


def test_web_agent_drafts_an_agreement_and_prints_it(app, client, session, b1, unit_no):
    login_as(client, "C001")
    unit = unit_no(b1, "203")
    page = client.get(f"/property/agreements/new?building={b1.id}&number=203")
    assert page.status_code == 200 and "203" in text(page)
    resp = client.post(f"/property/agreements/new?unit={unit.id}", data=_form(unit))
    assert resp.status_code == 303, text(resp)
    a = session.scalar(select(Agreement).where(Agreement.unit_id == unit.id))
    assert a.buyers[0].id_number == GOOD_ID and a.loan_type == "combined"
    shown = client.get(resp.headers["Location"])
    assert shown.status_code == 200 and a.no in text(shown)
    pdf = client.get(f"/property/agreements/{a.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    listing = client.get("/property/agreements")
    assert a.no in text(listing)


def test_web_refusal_keeps_the_input_and_saves_nothing(app, client, session, b1, unit_no):
    login_as(client, "C001")
    unit = unit_no(b1, "204")
    before = count(session, Agreement), count(session, AgreementBuyer)
    resp = client.post(f"/property/agreements/new?unit={unit.id}", data=_form(unit, deposit="2000000"))
    assert resp.status_code == 422
    body = text(resp)
    assert "at most 20%" in body and 'value="2000000"' in body and "王五" in body
    session.expire_all()
    assert (count(session, Agreement), count(session, AgreementBuyer)) == before
    assert unit_no(b1, "204").status == AVAILABLE


def test_web_cashier_and_driver_may_not_draft(app, client, b1, unit_no):
    unit = unit_no(b1, "204")
    login_as(client, "S001")
    assert client.post(f"/property/agreements/new?unit={unit.id}", data=_form(unit)).status_code == 403
    login_as(client, "D001")
    assert client.get("/property/agreements").status_code == 403


def test_web_another_agents_agreement_is_not_shown(app, client, session, b1, unit_no, agent):
    unit = unit_no(b1, "302")
    a = agreements.create_agreement(session, unit.id, typed(unit), actor=agent)
    session.commit()
    login_as(client, "C002")
    assert client.get(f"/property/agreements/{a.id}").status_code == 403
    assert session.scalar(select(func.count(Agreement.id))) >= 1
