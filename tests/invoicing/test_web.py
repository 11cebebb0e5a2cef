"""Invoice screens: issue, bad input (4xx, nothing saved), void and reissue, the
数电票 number, PDF with Chinese and the 作废 watermark, export, find, roles."""

import io
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pos.invoicing.models import Invoice
from pos.shop.services import business_today
from tests.conftest import CASHIER, CLERK, login_as
from tests.helpers import count, shown_at, statements, text


@pytest.fixture
def cashier(client, paid):
    login_as(client, CASHIER)
    return client


FORM = {"name": "周建华", "phone": "13800138001", "address": "上海市浦东新区张杨路500号"}


def test_issue_from_the_screen(cashier, session, paid):
    v = paid("1130.00")
    page = text(cashier.get(f"/invoices/new?vouchers={v.no}"))
    assert v.no in page and "周先生" in page  # prefilled from the customer
    with statements() as issuing:
        resp = cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    inv = session.scalar(select(Invoice))
    assert shown_at(resp) == f"/invoices/{inv.no}"  # the answer is the invoice's page, at its own address
    # drawn from the invoice just issued: nothing of it is read back (it has no void, no 数电票 link and no
    # reissue yet); the one read of invoices is the check that the voucher is on none yet
    reads = [sql for sql, _p in issuing if sql.lstrip().startswith("SELECT") and "invoice" in sql]
    assert len(reads) == 1 and "invoice_voucher" in reads[0], reads
    with statements() as seen:
        again = text(cashier.get(shown_at(resp)))  # reloaded: the same page, read as a GET reads it
    read = [sql for sql, _p in seen if "invoice" in sql or "voucher" in sql]
    assert len(read) == 3, read  # the invoice (with its void, link and reissue, none here), its lines, its vouchers
    for body in (text(resp), again):
        assert inv.no in body and "￥1,130.00" in body and "人民币壹仟壹佰叁拾元整" in body and "￥130.00" in body
    assert f"已开具发票 {inv.no}" in text(resp)  # the message, shown with the page


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"name": ""}, 422, "请输入顾客全名"),
    ({"address": ""}, 422, "请输入顾客地址"),
    ({"phone": "12"}, 422, "不是有效的电话号码"),
    ({"vouchers": "V19990101-0001"}, 404, "没有编号为"),
    ({"vouchers": ""}, 422, "哪张销售单"),
])
def test_bad_issue_input(cashier, session, paid, change, status, message):
    v = paid()
    resp = cashier.post("/invoices/new", data={"vouchers": v.no, **FORM, **change})
    assert resp.status_code == status and message in text(resp)
    assert count(session, Invoice) == 0


def test_unpaid_voucher_and_twice(cashier, session, paid, write_up):
    unpaid = write_up("10.00")
    resp = cashier.post("/invoices/new", data={"vouchers": unpaid.no, **FORM})
    assert resp.status_code == 422 and "未付款" in text(resp)
    v = paid()
    shown_at(cashier.post("/invoices/new", data={"vouchers": v.no, **FORM}))
    resp = cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    assert resp.status_code == 409 and "已开过发票" in text(resp)
    assert count(session, Invoice) == 1


def test_void_reissue_and_the_chain(cashier, session, paid, tmp_path):
    v = paid()
    cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    first = session.scalar(select(Invoice))
    resp = cashier.post(f"/invoices/{first.no}/void", data={"reason": ""})
    assert resp.status_code == 422 and "请填写作废原因" in text(resp)
    resp = cashier.post(f"/invoices/{first.no}/void", data={"reason": "地址写错"})
    assert resp.status_code == 303 and f"replaces={first.no}" in resp.headers["Location"]
    assert cashier.post(f"/invoices/{first.no}/void", data={"reason": "x"}).status_code == 409
    page = text(cashier.get(resp.headers["Location"]))
    assert v.no in page and "周建华" in page  # prefilled from the void invoice
    resp = cashier.post("/invoices/new", data={"vouchers": v.no, "replaces": first.no, **FORM,
                                               "address": "上海市浦东新区张杨路502号"})
    second = session.scalar(select(Invoice).where(Invoice.id != first.id))
    assert shown_at(resp) == f"/invoices/{second.no}" and first.no in text(resp)  # the chain, on its page
    assert second.replaces_id == first.id and second.seq == first.seq + 1
    listing = text(cashier.get("/invoices"))
    assert first.no in listing and second.no in listing and "作废" in listing
    session.expunge_all()  # the page read as a new request reads it (the test's requests share one session)
    with statements() as seen:
        detail = text(cashier.get(f"/invoices/{first.no}"))
    assert "作废" in detail and "地址写错" in detail and second.no in detail
    # the page's invoice with its void, 数电票 link and the invoice that replaced it in one statement,
    # then its lines, its vouchers (without the vouchers' lines, which it does not show), whether the
    # reissue was replaced in turn and whether it is void (read as a request of its own reads it: 4 when
    # the reissue's void was still known from the list read before in the test's one session)
    read = [sql for sql, _p in seen if "invoice" in sql or "voucher" in sql]
    assert len(read) == 5, "\n".join(sql[:150].replace("\n", " ") for sql in read)
    assert sum(sql.lstrip().startswith("SELECT invoice_void") for sql in read) == 1  # the reissue's, not its own
    apart = ("SELECT invoice_platform_link", "SELECT voucher_line")
    assert not any(sql.lstrip().startswith(apart) for sql in read), read
    # the void invoice's PDF carries the 作废 watermark, in Chinese glyphs
    pdf = cashier.get(f"/invoices/{first.no}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    path = tmp_path / "inv.pdf"
    path.write_bytes(pdf.data)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    compact = words.replace(" ", "").replace("\n", "")
    assert ("作废" in compact or "废作" in compact)  # the rotated watermark extracts either way round
    assert "价税合计" in compact and first.no in compact


def test_no_route_edits_an_issued_invoice(cashier, session, paid, app):
    v = paid()
    cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    inv = session.scalar(select(Invoice))
    invoice_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/invoices/<")]
    assert {r.rule for r in invoice_rules} == {"/invoices/<no>", "/invoices/<no>/void", "/invoices/<no>/platform",
                                               "/invoices/<no>.pdf", "/invoices/<no>/print"}
    assert cashier.post(f"/invoices/{inv.no}", data={"buyer_name": "别人"}).status_code == 405
    session.refresh(inv)
    assert inv.buyer_name == "周建华"


def test_platform_number_from_the_screen(cashier, session, paid):
    v = paid()
    cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    inv = session.scalar(select(Invoice))
    resp = cashier.post(f"/invoices/{inv.no}/platform", data={"number": "12345"})
    assert resp.status_code == 422 and "20 位数字" in text(resp)
    resp = cashier.post(f"/invoices/{inv.no}/platform", data={"number": "25312000000000123456"})
    assert resp.status_code == 303 and "25312000000000123456" in text(cashier.get(f"/invoices/{inv.no}"))


def test_export_and_find(cashier, session, paid):
    v = paid("1130.00")
    cashier.post("/invoices/new", data={"vouchers": v.no, **FORM})
    today = business_today(session).isoformat()  # the business day the invoice is dated into
    resp = cashier.get(f"/invoices/export.xlsx?from={today}&to={today}")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "周建华"
    assert cashier.get(f"/invoices/export.xlsx?from={today}&to=2000-01-01").status_code == 422
    assert cashier.get("/invoices/export.xlsx").status_code == 422
    assert cashier.get("/invoices?from=bad").status_code == 422
    assert v.no in text(cashier.get("/invoices?q=13800138001"))


def test_clerk_cannot_invoice(client):
    login_as(client, CLERK)
    assert client.get("/invoices").status_code == 403
