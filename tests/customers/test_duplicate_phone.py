"""A phone already on file typed for a new customer: the quotation form offers the existing customer
(409, a link to their file, the phone masked for a clerk who does not own them, nothing saved); the
lead form keeps filing a new lead under the customer on file and says so."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pos.clock import local_today
from pos.customers.file_models import Lead
from pos.customers.models import Customer
from pos.customers.ownership import register_visit
from pos.sales.quotation_models import Quotation
from tests.conftest import CLERK, login_as
from tests.helpers import count, row_counts, text

ZHOU = "13800138001"  # a demo customer


def _valid():
    return (local_today() + timedelta(days=7)).isoformat()


def test_quotation_for_a_phone_on_file_under_another_name_offers_that_customer(client, session):
    zhou = session.scalar(select(Customer).where(Customer.phone == ZHOU))
    login_as(client, CLERK)
    before = row_counts(session)
    r = client.post("/quotations/new", data={"phone": "+86 138 0013 8001", "name": "吴女士", "valid_until": _valid()})
    page = text(r)
    assert r.status_code == 409
    assert zhou.name in page and ("Nothing was saved" in page or "未保存" in page)
    assert f'href="/customers/{zhou.id}"' in page and 'data-testid="existing-customer"' in page
    assert "138****8001" in page and ZHOU not in page.replace('value="+86 138 0013 8001"', "")
    assert row_counts(session) == before
    # the same name (or none) is the clerk picking the customer by phone: the quotation is made
    r = client.post("/quotations/new", data={"phone": ZHOU, "name": f" {zhou.name} ", "valid_until": _valid()})
    assert r.status_code in (302, 303)
    made = session.scalar(select(Quotation).order_by(Quotation.id.desc()))
    assert made.customer_id == zhou.id and count(session, Quotation) == before["quotation"] + 1


def test_the_owner_sees_the_full_phone_in_the_offer(client, session, clerk):
    mine = register_visit(session, actor=clerk, phone="13512340001", name="钱先生", channel="walk_in").customer
    session.commit()
    login_as(client, CLERK)
    r = client.post("/quotations/new", data={"phone": "13512340001", "name": "钱太太", "valid_until": _valid()})
    assert r.status_code == 409 and "13512340001" in text(r) and f'href="/customers/{mine.id}"' in text(r)


def test_a_lead_for_a_customer_on_file_is_recorded_under_them_and_the_screen_says_so(client, session):
    zhou = session.scalar(select(Customer).where(Customer.phone == ZHOU))
    login_as(client, CLERK)
    customers = count(session, Customer)
    r = client.post("/leads/new", data={"phone": ZHOU, "name": "周先生", "want": "洗碗机", "channel": "walk_in"},
                    follow_redirects=True)
    assert r.status_code == 200
    assert f"{zhou.name}" in text(r) and ("线索已记在其名下" in text(r) or "the lead is recorded under them" in text(r))
    lead = session.scalar(select(Lead).order_by(Lead.id.desc()))
    assert lead.customer_id == zhou.id and count(session, Customer) == customers
    # a new phone: a new customer, no such message
    r = client.post("/leads/new", data={"phone": "13512340002", "name": "孙女士", "want": "烤箱", "channel": "walk_in"},
                    follow_redirects=True)
    assert r.status_code == 200 and "线索已记在其名下" not in text(r) and "recorded under them" not in text(r)
