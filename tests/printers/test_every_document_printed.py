"""Every document the app prints, produced by the app itself (not hand-made objects): the
payment receipt, the three stamped copies, the refund slip, the X report and the shift report,
the invoice, the dispatch slip, the Z report and the test page. Each queued job is rendered for
58 and 80 mm paper and read back as the printer reads it: no line wider than the paper in the
bytes the printer gets, strict GBK, double size enlarging Chinese, no stray control byte."""

from __future__ import annotations

from sqlalchemy import select

from pos.cashier import services as cashier
from pos.cashier.models import Payment, Shift
from pos.delivery import services as delivery
from pos.extensions import db
from pos.invoicing import services as invoicing
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from pos.reports import signoff as reports
from pos.sales import services as sales
from pos.shop.models import Showroom
from pos.shop.services import business_today
from printing.escpos import PrinterProfile, printed_lines, render
from tests.conftest import login_as, staff_by_no
from tests.helpers import shown_at
from tests.printing.test_documents import strict_gbk

LONG_NAME = "锦华家居电器展厅·浦东旗舰店（张杨路“东门”—右转…）"


def test_every_document_the_app_prints_fits_58_and_80_mm(app, client, session, station, write_up):
    session.scalar(select(Showroom)).name = LONG_NAME
    printer = Printer(name="前台×1号", connector="file", address="/dev/null", paper_mm=58, is_default=True)
    session.add(printer)
    session.commit()
    cash_voucher, card_voucher = write_up("12999.00", "3"), write_up("168.00")
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    shown_at(client.post(f"/cashier/pay/{cash_voucher.no}",
                         data={"once_key": "k1", "count_10000": "390", "count_5000": "1"}))
    card = {"once_key": "k2", "card_amount": "168", "card_ref": "6222 0212 3456 7890"}
    shown_at(client.post(f"/cashier/pay/{card_voucher.no}", data=card))
    payment = session.scalar(select(Payment).where(Payment.voucher_id == cash_voucher.id))
    assert client.post(f"/cashier/payments/{payment.id}/print/copies").status_code == 303
    shift = session.scalar(select(Shift))
    assert client.post(f"/cashier/shifts/{shift.id}/print").status_code == 303  # X report (open shift)
    cashier.refund(session, cash_voucher.no, {cash_voucher.lines[0].id: "1"}, method="cash",
                   reason="质量问题—门封条脱落…", cashier=staff_by_no("S001"),
                   approval=sales.Approval(staff_by_no("M001").id, "9001"), once_key="r1")
    session.commit()
    buyer = invoicing.Buyer("上海锦华家居有限公司（“浦东”—分部）", "13800138001",
                            "上海市浦东新区张杨路500号·3号楼§1201室")
    inv = invoicing.issue(session, [card_voucher.no], buyer, preparer=staff_by_no("S001"))
    session.commit()
    assert client.post(f"/invoices/{inv.no}/print").status_code == 303
    slip = delivery.request_delivery(session, cash_voucher.no, {cash_voucher.lines[0].id: "1"},
                                     clerk=staff_by_no("C001"), once_key="d1", name="周先生×2", phone="13800138001",
                                     address="上海市浦东新区张杨路500号3号楼1201室（“东门”—右转…）", window_day=None,
                                     window="09:00–12:00", notes="易碎·轻放±上楼≥6层")
    session.commit()
    login_as(client, "C001")
    assert client.post(f"/delivery/slips/{slip.id}/print").status_code == 303
    login_as(client, "S001")
    counted = cashier.summarise(session, shift).expected_cash
    close = {f"count_{d}": "0" for d in (10000, 5000, 2000, 1000, 500, 100, 50, 10)}
    close["count_10000"] = str(int(counted // 100))
    resp = client.post("/cashier/shift/close", data=close)
    assert resp.status_code in (200, 303), resp.get_data(as_text=True)[:300]
    assert client.post(f"/cashier/shifts/{shift.id}/print").status_code == 303  # the shift report
    manager = staff_by_no("M001")
    session.expire_all()
    reports.review_shift(session, session.get(Shift, shift.id), "ok", manager=manager)
    z = reports.sign_off(session, business_today(session), manager=manager)
    session.commit()
    login_as(client, "M001")
    assert client.post(f"/reports/z/{z.no}/print").status_code == 303
    assert client.post(f"/manage/printers/{printer.id}/test").status_code == 303
    session.expire_all()
    jobs = list(session.scalars(select(PrintJob).order_by(PrintJob.id)))
    kinds = [j.kind for j in jobs]
    for kind in ("receipt", "voucher", "refund", "shift", "invoice", "slip", "z", "test"):
        assert kind in kinds, (kind, kinds)
    assert kinds.count("voucher") == 3 and kinds.count("shift") == 2 and kinds.count("receipt") == 2
    checked = 0
    for job in jobs:
        document = services.document_of(job)
        for paper, columns in ((58, 32), (80, 48)):
            for encoding in ("gb18030", "gbk"):
                data = render(document, PrinterProfile(paper_mm=paper, encoding=encoding))
                assert data.count(b"\x1b@") == 1 and b"\x10\x14" not in data
                for line in printed_lines(data):
                    text = line.data.decode(encoding)
                    assert strict_gbk(line.data), (job.title, text)
                    assert line.columns <= columns, (job.title, paper, line.columns, text)
                    assert line.wide == line.chinese_wide, (job.title, text)
                    checked += 1
    assert checked > 500
    db.session.remove()
