"""Typed once: the name, phone and address given for the invoice are offered in the delivery form,
and the ones given for the delivery in the invoice form."""

from tests.conftest import login_as
from tests.helpers import shown_at

ADDRESS = "上海市长宁区天山路1号2号楼301室"


def text(resp):
    return resp.get_data(as_text=True)


def test_what_the_invoice_asked_is_offered_for_the_delivery(client, session, paid):
    v = paid(customer_phone=None)  # a walk-in: nothing known at the counter
    login_as(client, "S001")
    resp = client.post("/invoices/new", data={"vouchers": v.no, "name": "冯国强", "phone": "13911112222",
                                              "address": ADDRESS})
    shown_at(resp)  # issued: the invoice's page
    login_as(client, "C001")
    form = text(client.get(f"/pickup?no={v.no}")).split('data-testid="delivery-form"')[1]
    assert 'value="冯国强"' in form and 'value="13911112222"' in form and f'value="{ADDRESS}"' in form


def test_what_the_delivery_asked_is_offered_for_the_invoice(client, session, paid):
    v = paid(customer_phone=None)
    login_as(client, "C001")
    resp = client.post(f"/delivery/request/{v.no}", data={"once_key": "d1", f"qty_{v.lines[0].id}": "1",
                                                          "name": "冯国强", "phone": "13911112222",
                                                          "address": ADDRESS})
    assert resp.status_code == 303
    login_as(client, "S001")
    page = text(client.get(f"/invoices/new?vouchers={v.no}"))
    assert 'value="冯国强"' in page and 'value="13911112222"' in page and f'value="{ADDRESS}"' in page
