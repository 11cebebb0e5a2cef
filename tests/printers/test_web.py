"""Printing from the screens: the receipt with every payment, copies, the shift report,
PDFs with Chinese glyphs, the manager's printers, the cashier's jobs and preview."""

import re
import subprocess

import pytest
from sqlalchemy import select

from pos.cashier.models import Payment
from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from pos.sales.models import Voucher
from printing.escpos import decode_text, printed_lines
from tests.conftest import login_as
from tests.helpers import shown_at
from tests.printers.fake_printer import FakePrinter, free_port


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def cashier(client, session, station):
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    return client


def pdf_text_and_fonts(data: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return words, fonts


def test_payment_prints_a_receipt_on_the_station_printer(cashier, session, station, write_up):
    port = free_port()
    session.add(Printer(name="一号机", connector="network", address=f"127.0.0.1:{port}", paper_mm=58,
                        station_id=station.id))
    session.commit()
    no = write_up("168.00").no
    shown_at(cashier.post(f"/cashier/pay/{no}", data={"once_key": "k1", "count_10000": "2"}))
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
    assert job.printer.name == "一号机" and job.status == "queued"
    fake = FakePrinter(port).start()
    try:
        assert services.run_worker(lambda: db.session, once=True) == 1
    finally:
        fake.stop()
    assert len(fake.received) == 1
    printed = decode_text(fake.received[0])
    assert "收款收据" in printed and no in printed and "找零" in printed and "￥32.00" in printed
    # what was paid for, as the voucher lists it: the line, its quantity × actual price and its amount
    line = session.scalar(select(Voucher).where(Voucher.no == no)).lines[0]
    assert f"1. {line.product_name}" in printed and "1台 × ￥168.00" in printed
    assert printed.index(line.product_name) < printed.index("应收")
    assert all(ln.columns <= 32 for ln in printed_lines(fake.received[0]))  # 58 mm paper
    assert fake.received[0].startswith(b"\x1b@\x1c&\x1bp")  # a cash payment opens the drawer first
    # the printer badge and the jobs list
    assert "正常" in text(cashier.get("/printers/status"))


def test_the_cash_desk_shows_the_printer_badge_itself(cashier, session, station):
    """The cash desk's page carries the badge as /printers/status answers it (no request after the
    page to fill it in); the badge then asks again every 10 s."""
    session.add(Printer(name="一号机", connector="network", address="127.0.0.1:9", paper_mm=58, station_id=station.id))
    session.commit()
    page = text(cashier.get("/cashier"))
    badge = re.search(r'<a id="printer-badge".*?</a>', page, re.S).group(0)
    polled = re.search(r'<a id="printer-badge".*?</a>', text(cashier.get("/printers/status")), re.S).group(0)
    assert "一号机：" in badge and 'hx-trigger="every 10s"' in badge
    assert " ".join(badge.split()) == " ".join(polled.split())
    assert 'hx-trigger="load"' not in page


def test_without_a_printer_the_receipt_is_shown_on_screen(cashier, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
    assert job.printer.connector == "preview" and job.status == "done"
    body = text(cashier.get(f"/printers/jobs/{job.id}"))
    assert "收款收据" in body and v.no in body and "<svg" in body  # the QR as an image


def test_card_payment_does_not_open_the_drawer(cashier, session, write_up):
    v = write_up("50.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "card_amount": "50", "card_ref": "T9"})
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
    assert "drawer" not in job.document


def test_three_copies_and_reprint(cashier, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    payment = session.scalar(select(Payment))
    assert cashier.post(f"/cashier/payments/{payment.id}/print/copies").status_code == 303
    copies = list(session.scalars(select(PrintJob).where(PrintJob.kind == "voucher").order_by(PrintJob.id)))
    labels = [services.document_of(j).copy_label for j in copies]
    assert labels == ["财务联", "存根联", "客户联"]
    assert all("收款专用章" in services.document_of(j).to_dict().__str__() for j in copies)
    assert cashier.post(f"/cashier/payments/{payment.id}/print/nonsense").status_code == 404
    resp = cashier.post(f"/printers/jobs/{copies[2].id}/reprint")
    assert resp.status_code == 303
    reprint = session.scalar(select(PrintJob).order_by(PrintJob.id.desc()))
    preview = re.sub(r"<[^>]+>", "", text(cashier.get(f"/printers/jobs/{reprint.id}")))  # cells are spans
    assert reprint.reprint_no == 1 and "重印 COPY 1" in preview


def test_pdfs_carry_chinese_glyphs(cashier, session, write_up, tmp_path):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    payment = session.scalar(select(Payment))
    for url, words in (
        (f"/vouchers/{v.no}.pdf?copy=customer", ["销售凭证", "客户联", "收款专用章", "人民币壹佰陆拾捌元整"]),
        (f"/cashier/payments/{payment.id}/receipt.pdf", ["收款收据", "找零", v.no]),
    ):
        resp = cashier.get(url)
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF") and resp.mimetype == "application/pdf"
        extracted, fonts = pdf_text_and_fonts(resp.data, tmp_path)
        for word in words:
            assert word in extracted.replace(" ", "").replace("\n", ""), (url, word)
        assert "Noto-Sans-CJK-SC" in fonts, fonts  # the named CJK font is embedded, not a fallback
    assert cashier.get(f"/vouchers/{v.no}.pdf?copy=bogus").status_code == 404


def test_the_qr_codes_on_the_pdfs_scan_as_the_voucher_number(cashier, session, write_up, tmp_path):
    """The voucher's A5 copy and the PDF receipt carry a QR code a scanner reads as the voucher's number
    (rendered at 150 dpi, read by zxing-cpp's reader — ZXing's decoder; the symbol is made by its writer, libzint)."""
    import zxingcpp
    from PIL import Image

    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    payment = session.scalar(select(Payment))
    for url in (f"/vouchers/{v.no}.pdf?copy=customer", f"/cashier/payments/{payment.id}/receipt.pdf"):
        resp = cashier.get(url)
        assert resp.status_code == 200, url
        (tmp_path / "doc.pdf").write_bytes(resp.data)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(tmp_path / "doc.pdf"),
                        str(tmp_path / "page")], check=True)
        page = next(tmp_path.glob("page*.png"))
        found = zxingcpp.read_barcodes(Image.open(page))
        page.unlink()
        assert [(b.text, b.format) for b in found] == [(v.no, zxingcpp.BarcodeFormat.QRCode)], url


def test_shift_report_prints_and_pdf(cashier, session, write_up, tmp_path):
    from pos.cashier.models import Shift
    shift = session.scalar(select(Shift))
    cashier.post("/cashier/shift/close", data={"count_10000": "2"})
    assert cashier.post(f"/cashier/shifts/{shift.id}/print").status_code == 303
    assert session.scalar(select(PrintJob).where(PrintJob.kind == "shift")) is not None
    resp = cashier.get(f"/cashier/shifts/{shift.id}.pdf")
    extracted, _fonts = pdf_text_and_fonts(resp.data, tmp_path)
    assert "交班报表" in extracted.replace(" ", "")


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "connector": "network", "address": "1.2.3.4"}, "请填写打印机名称"),
    ({"name": "a", "connector": "network", "address": ""}, "需要地址"),
    ({"name": "a", "connector": "fax", "address": "x"}, "连接方式"),
    ({"name": "a", "connector": "network", "address": "1.2.3.4", "paper_mm": "72"}, "58 或 80"),
])
def test_bad_printer_settings(as_manager, session, data, message):
    resp = as_manager.post("/manage/printers", data={"paper_mm": "80", "encoding": "gb18030", "active": "1", **data})
    assert resp.status_code == 422 and message in text(resp)
    assert session.scalar(select(Printer).where(Printer.connector != "preview")) is None


def test_manager_adds_a_printer_and_prints_a_test_page(as_manager, session):
    resp = as_manager.post("/manage/printers", data={"name": "后台打印机", "connector": "file", "address": "/tmp/x.bin",
                                                     "paper_mm": "80", "encoding": "gbk", "active": "1",
                                                     "is_default": "1", "native_qr": "1"})
    assert resp.status_code == 303
    printer = session.scalar(select(Printer).where(Printer.name == "后台打印机"))
    assert printer.is_default and printer.encoding == "gbk"
    resp = as_manager.post(f"/manage/printers/{printer.id}/test")
    assert resp.status_code == 303
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "test"))
    assert "打印测试" in text(as_manager.get(f"/printers/jobs/{job.id}"))


def test_retrying_a_printed_job_is_refused(cashier, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))  # on the preview: already done
    resp = cashier.post(f"/printers/jobs/{job.id}/retry")
    assert resp.status_code == 422 and "只有等待中或失败的任务可以重发" in text(resp)
    session.refresh(job)
    assert job.status == "done"


def test_clerk_cannot_manage_printers(as_clerk):
    assert as_clerk.get("/manage/printers").status_code == 403
    assert as_clerk.get("/printers/jobs").status_code == 403
