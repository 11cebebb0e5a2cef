"""The smaller things a first week in a showroom found, each on its screen: full-width colons in
Chinese, the invoice form's total and the way back to the cash desk, the void reason on the void
invoice's PDF and product names kept whole there, invoices on the shift report, suggestions with
their own add button beside the product, the driver's action above the QR, and why a disabled
button is disabled."""

import subprocess

from sqlalchemy import select

from pos.cashier.models import Shift
from pos.catalog.models import Product, ProductRelation
from pos.invoicing.models import Invoice
from tests.conftest import login_as, staff_by_no
from tests.helpers import shown_at

HX = {"HX-Request": "true"}
BUYER = {"name": "周建华", "phone": "13800138001", "address": "上海市浦东新区张杨路500号"}


def text(resp):
    return resp.get_data(as_text=True)


def test_chinese_labels_take_a_full_width_colon(client, paid):
    v = paid()
    login_as(client, "C001")
    page = text(client.get(f"/vouchers/{v.no}"))
    assert "营业员：" in page and "营业员: " not in page and "顾客：" in page
    with client.session_transaction() as s:
        s["lang"] = "en"
    assert "Clerk: " in text(client.get(f"/vouchers/{v.no}"))


def test_the_invoice_form_shows_the_total_and_leads_back_to_the_cash_desk(client, session, paid):
    v = paid("1130.00")
    login_as(client, "S001")
    page = text(client.get(f"/invoices/new?vouchers={v.no}"))
    assert 'data-testid="invoice-total">￥1,130.00<' in page and "壹仟壹佰叁拾元整" in page
    assert 'href="/cashier"' in page
    resp = client.post("/invoices/new", data={"vouchers": v.no, **BUYER})
    shown_at(resp)
    assert 'data-testid="back-to-desk"' in text(resp)


def test_the_void_invoice_pdf_says_why_and_keeps_names_whole(client, session, paid, tmp_path):
    v = paid("1130.00")
    login_as(client, "S001")
    client.post("/invoices/new", data={"vouchers": v.no, **BUYER})
    inv = session.scalar(select(Invoice))
    assert client.post(f"/invoices/{inv.no}/void", data={"reason": "抬头写错"}).status_code == 303
    pdf = tmp_path / "void.pdf"
    pdf.write_bytes(client.get(f"/invoices/{inv.no}.pdf").data)
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "作废：抬头写错" in out
    name = v.lines[0].product_name
    assert any(name.replace(" ", "") in line.replace(" ", "") for line in out.splitlines()), (name, out)


def test_the_shift_report_counts_invoices_issued_and_voided(client, session, paid):
    v, w = paid("1130.00"), paid("200.00", once="k-second")
    login_as(client, "S001")
    client.post("/invoices/new", data={"vouchers": v.no, **BUYER})
    client.post("/invoices/new", data={"vouchers": w.no, **BUYER})
    first = session.scalar(select(Invoice).order_by(Invoice.id))
    client.post(f"/invoices/{first.no}/void", data={"reason": "金额有误"})
    shift = session.scalar(select(Shift))
    page = text(client.get(f"/cashier/shifts/{shift.id}"))
    assert 'data-testid="invoices-issued">2 · ￥1,330.00<' in page and 'data-testid="invoices-voided">1<' in page
    assert "金额有误" in page


def test_suggestions_beside_the_product_have_their_own_add_button(as_clerk, session):
    relation = session.scalar(select(ProductRelation))
    product = session.get(Product, relation.product_id)
    page = text(as_clerk.get(f"/catalog/products/{product.id}"))
    side = page.split('class="pp-pictures"')[1].split('class="pp-info"')[0]  # beside the picture, not below
    assert 'data-testid="suggestions"' in side and 'name="return_to" value="suggestion"' in side
    resp = as_clerk.post("/counter/lines", headers=HX,
                         data={"product_id": relation.related_id, "quantity": "1", "return_to": "suggestion"})
    assert resp.status_code == 200 and 'data-testid="suggestion-added"' in text(resp)
    assert 'id="voucher-badge"' in text(resp) and "hx-swap-oob" in text(resp)


def test_a_pay_on_delivery_pickup_says_why_hand_over_is_disabled(client, session, write_up):
    v = write_up("39.00")
    v.pay_on_delivery = True
    session.commit()
    login_as(client, "C001")
    page = text(client.get(f"/pickup?no={v.no}"))
    assert 'aria-describedby="hand-over-why"' in page  # 现场交货 is disabled, and says why
    assert "货到付款" in page.split('data-testid="why-disabled"')[1].split("</small>")[0]
    assert 'data-testid="delivery-form"' in page


def test_the_drivers_next_step_comes_before_the_slip_and_its_qr(client, session, paid):
    from pos.delivery.models import DispatchSlip

    v = paid()
    login_as(client, "C001")
    client.post(f"/delivery/request/{v.no}", data={
        "once_key": "d1", f"qty_{v.lines[0].id}": "1", "name": "周先生", "phone": "13800138001",
        "address": "上海市浦东新区张杨路500号3号楼1201室"})
    slip = session.scalar(select(DispatchSlip))
    login_as(client, "D001")
    page = text(client.get(f"/delivery/slips/{slip.id}"))
    actions, qr = page.index('data-testid="slip-actions"'), page.index('class="vd-qr"')
    assert actions < qr and page.index("领取", actions) < qr  # on a phone: the button, then the QR


def test_the_announcement_says_what_happens_next(client, session, open_shift, write_up):
    from pos.cashier import services as cashier
    from pos.cashier.models import Payment

    open_shift()
    v = write_up("168.00")
    cashier.take_payment(session, v.no, cashier=staff_by_no("S001"),
                         once_key="k-next", counts={10000: 2})
    session.commit()
    login_as(client, "S001")
    payment = session.scalar(select(Payment))
    page = text(client.get(f"/cashier/payments/{payment.id}"))
    assert 'data-testid="next-step"' in page and "客户联" in page and "取货" in page
