"""Every document the app prints, rendered at 32 and 48 columns (58 and 80 mm paper), read back
from the bytes as a Chinese ESC/POS printer reads them: no line wider than the paper counted in
the bytes the printer gets (a GBK double-byte character takes two columns — × – — “ ” … · ± ÷ →
≥ § included), strict GBK, no control byte from the data, amounts never split, double size
enlarging Chinese, and titles centred once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace as NS

import pytest

from pos.cashier.documents import copy_document, receipt_document, refund_document, shift_document
from pos.delivery.documents import slip_document
from pos.invoicing.documents import invoice_document
from pos.reports.documents import z_document
from pos.sales.documents import voucher_document
from printing.documents import Document, KeyValue, Text, Title, layout, text_width, wrap
from printing.escpos import PrinterProfile, printed_lines, render

D = Decimal
AT = datetime(2026, 11, 22, 6, 5, tzinfo=UTC)
#: what customers, products and clerks really type: "ambiguous" punctuation that GBK prints
#: double width, long names, and control bytes that must never reach the printer
AMBIGUOUS = "×–—“”…·±÷→≥§°"
HOSTILE = "周\x1b@先\x1dV\x00生\x10\x14\x01\x1bp\x00\x19\xfa\u202e\x9b"
SHOP = "锦华家居电器展厅·浦东旗舰店（张杨路店）"


def staff(name="欧阳·娜娜"):
    return NS(full_name=name)


def voucher_line(n, qty="2", price="12999.00", name="海尔对开门冰箱“星空”—智能款…"):
    return NS(position=n, product_name=name, brand_name="海尔 Haier", model="BCD-540WDPZU1",
              spec="540升×2 ±5%", colour="星空灰·哑光", quantity=D(qty), unit="台", unit_price=D(price),
              amount=D(price) * D(qty), id=n)


def voucher():
    lines = [voucher_line(1), voucher_line(2, "1", "99999999.99", "沙发§客厅→卧室≥3人位÷" * 2),
             voucher_line(3, "0.5", "1.00", "x")]
    return NS(no="V20261122-0007", written_up_at=AT, clerk=staff(), customer_name=f"周先生{AMBIGUOUS}{HOSTILE}",
              customer_phone="13800138001",
              delivery_address="上海市浦东新区张杨路500号3号楼1201室（“东门”—右转…）" + HOSTILE,
              lines=lines, total=D("12345678.90"))


def payment(cash=True):
    tenders = [NS(kind="cash", amount=D("10000000.00"), reference="", cheque_bank="")] if cash else []
    tenders += [NS(kind="card", amount=D("2345678.90"), reference="6222 0212 3456 7890\x1bp\x00\x19\xfa",
                   cheque_bank=""),
                NS(kind="cheque", amount=D("1.00"), reference="CHQ-00012345\x1dV\x00", cheque_bank="工商银行×分行")]
    return NS(voucher=voucher(), cashier=staff("司马·相如"), at=AT, tenders=tenders, amount_due=D("12345678.90"),
              received=D("12345679.90"), change_given=D("1234567.89"), rejected_notes=[1, 2],
              awaiting_clearance=True)


def shift(open_=False):
    return NS(is_open=open_, station=NS(name="一号收银台×东区"), cashier=staff(), opened_at=AT,
              closed_at=None if open_ else AT, opening_float=D("2000.00"),
              counted_cash=None if open_ else D("12345678.90"), over_short=D("-1234567.89"), id=7)


def shift_summary():
    cheque = NS(reference="CHQ-0001\x1b@", cheque_bank="建设银行“张江”支行…", amount=D("9999999.99"))
    return NS(payments=123, by_tender={"cash": D("12345678.90"), "card": D("2345678.90"), "wechat": D("1.00"),
                                       "alipay": D("0.01"), "cheque": D("9999999.99")},
              change_out=D("1234567.89"), cash_refunds=D("-12345.67"), expected_cash=D("12345678.90"),
              cheques_pending=[cheque], rejected=[1], drawer_openings=45)


def z_report():
    summary = NS(day=date(2026, 11, 22), takings=D("98765432.10"), by_tender=shift_summary().by_tender,
                 refunds=D("-1234567.89"), bounced=D("9999.99"), net=D("97530864.21"), over_short=D("-1.00"),
                 written_up=456, paid=400, cancelled=3, invoices=77, invoices_void=2, cheques_pending=4,
                 shifts=[shift(), NS(station=NS(name="二号台"), cashier=staff("李四"), over_short=None)])
    return summary, NS(no=12, signed_by=staff("诸葛·孔明"), at=AT)


def invoice(vat=True, void=False):
    lines = [NS(position=1, name="海尔对开门冰箱“星空”—智能款…×2", spec="BCD-540WDPZU1 540升", quantity=D("2"),
                unit="台", unit_price=D("99999999.99"), amount=D("199999999.98"), tax_rate_bp=1300,
                tax=D("23008849.55"))]
    return NS(is_void=void, no="26312000000123456789", issue_date=date(2026, 11, 22),
              buyer_name="上海锦华家居有限公司（“浦东”—分部）" + HOSTILE, buyer_phone="021-5888 8888",
              buyer_address="上海市浦东新区张杨路500号·3号楼§1201室" * 2, buyer_tax_no="91310115MA1K4ABCDE",
              lines=lines, vat=vat, total_excl=D("176991150.43"), total_tax=D("23008849.55"),
              total=D("199999999.98"), remark="补开：原销售单 V20261122-0007 × 2 — 见附件…" + HOSTILE,
              preparer=staff(), cashier_name="")


def slip():
    vl = NS(product_name="沙发§客厅→卧室≥3人位÷", model="SF-300×2", colour="米白·布艺", unit="套")
    return NS(no="D20261122-0003", voucher=NS(no="V20261122-0007"), window_day=date(2026, 11, 23),
              window="09:00–12:00", customer_name="周先生" + HOSTILE, phone="13800138001",
              address="上海市浦东新区张杨路500号3号楼1201室（“东门”—右转…）" + HOSTILE,
              lines=[NS(voucher_line=vl, quantity=D("2"))], notes="易碎·轻放±上楼≥6层 " + HOSTILE,
              collect=D("12345678.90"))


def refund(method="cash"):
    line = NS(voucher_line=voucher_line(2, "1", "99999999.99", "沙发§客厅→卧室≥3人位÷" * 2), quantity=D("1"),
              amount=D("99999999.99"))
    return NS(voucher=voucher(), at=AT, cashier=staff(), approved_by=staff("诸葛·孔明"), lines=[line],
              amount=D("99999999.99"), method=method, reason="质量问题—门封条脱落…“换货”不成" + HOSTILE)


def every_document() -> dict[str, Document]:
    from pos.printers.services import test_document

    p = payment()
    docs = {
        "voucher": voucher_document(voucher(), SHOP),
        "receipt (cash)": receipt_document(p, SHOP),
        "receipt (card)": receipt_document(payment(cash=False), SHOP),
        "refund (cash)": refund_document(refund(), SHOP),
        "refund (original)": refund_document(refund("original"), SHOP),
        "X report": shift_document(shift(open_=True), shift_summary(), SHOP),
        "shift report": shift_document(shift(), shift_summary(), SHOP),
        "Z report": z_document(*z_report(), SHOP),
        "invoice (VAT)": invoice_document(invoice(), SHOP),
        "invoice (void, plain)": invoice_document(invoice(vat=False, void=True), SHOP),
        "dispatch slip": slip_document(slip(), SHOP),
    }
    for which in ("finance", "stub", "customer"):
        docs[f"stamped copy {which}"] = copy_document(p, which, SHOP)
    for paper in (58, 80):
        for encoding in ("gb18030", "gbk"):
            printer = NS(name=f"前台×{paper}—{encoding}", paper_mm=paper, encoding=encoding)
            docs[f"test page {paper} {encoding}"] = test_document(printer)
    reprint = voucher_document(voucher(), SHOP, copy_label="客户联")
    reprint.reprint = 3
    docs["reprint"] = reprint
    return docs


DOCS = every_document()
MONEY = re.compile(r"-?￥\d{1,3}(?:,\d{3})*\.\d{2}")


def strict_gbk(data: bytes) -> bool:
    """Single bytes 0x20–0x7E, or a GBK pair (lead 0x81–0xFE, trail 0x40–0xFE but 0x7F)."""
    i = 0
    while i < len(data):
        b = data[i]
        if 0x20 <= b < 0x7F:
            i += 1
        elif 0x81 <= b <= 0xFE and i + 1 < len(data) and 0x40 <= data[i + 1] <= 0xFE and data[i + 1] != 0x7F:
            i += 2
        else:
            return False
    return True


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
@pytest.mark.parametrize(("paper", "columns"), [(58, 32), (80, 48)])
@pytest.mark.parametrize("name", list(DOCS))
def test_every_printed_line_fits_the_paper_in_the_bytes_the_printer_gets(name, paper, columns, encoding):
    data = render(DOCS[name], PrinterProfile(paper_mm=paper, encoding=encoding))
    lines = printed_lines(data)
    assert len(lines) > 5
    for line in lines:
        assert strict_gbk(line.data), (name, line.data)
        assert line.columns <= columns, (name, paper, line.columns, line.data.decode(encoding))
        # double size enlarges Chinese too: never ESC ! alone
        assert line.wide == line.chinese_wide, (name, line.data.decode(encoding))
    printed = "\n".join(line.data.decode(encoding) for line in lines)
    assert "\x1b" not in printed and "?" not in printed.replace("??", "")


@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("name", list(DOCS))
def test_an_amount_is_never_split_over_two_lines(name, paper):
    """Every amount in the document's blocks appears whole on one printed line."""
    doc = DOCS[name]
    text = "\n".join(line.data.decode("gb18030") for line in printed_lines(render(doc, PrinterProfile(paper))))
    for block in doc.blocks:
        for field in ("text", "key", "value"):
            for amount in MONEY.findall(getattr(block, field, "") or ""):
                assert any(amount in line for line in text.splitlines()), (name, paper, amount)


@pytest.mark.parametrize("paper", [58, 80])
def test_control_bytes_in_the_data_never_reach_the_printer(paper):
    """A customer name, card or cheque reference, address or reason holding ESC @ (reset), GS V
    (cut), DLE DC4 (real-time drawer pulse) or ESC p (drawer) prints as text without them: the
    only commands in the bytes are the library's own."""
    for name, doc in DOCS.items():
        data = render(doc, PrinterProfile(paper))
        assert data.count(b"\x1b@") == 1 and data.startswith(b"\x1b@"), name  # one reset, the library's
        assert b"\x10\x14" not in data, name  # DLE DC4: never
        drawers = sum(1 for b in doc.blocks if b.kind == "drawer")
        assert data.count(b"\x1bp") == drawers, name  # the drawer opens only when the document says so
        cuts = sum(1 for b in doc.blocks if b.kind == "cut")
        assert data.count(b"\x1dV") == cuts, name
    text = "\n".join(line.data.decode("gb18030") for line in printed_lines(render(DOCS["voucher"])))
    assert "周先生×–—“”…·±÷→≥§°周@先V生p" in text.replace("\n", "").replace(" ", "")


def test_ambiguous_punctuation_counts_two_columns():
    for ch in AMBIGUOUS + "￥¥":
        assert text_width(ch) == 2, ch
    assert text_width("3台 × ￥12,999.00") == 18
    assert text_width("\x1b@\x1dV\x00\x10\x14\x01") == 2  # "@V": the letters stay, the controls go
    assert wrap("付款：现金 ￥10,000.00、银行卡 ￥2,345,678.90", 20) == [
        "付款：现金", "￥10,000.00、银行卡", "￥2,345,678.90"]


def test_double_size_uses_a_command_that_enlarges_chinese():
    data = render(Document(blocks=[Title("锦华"), KeyValue("合计", "￥9.00", double=True), Text("小字")]))
    assert b"\x1d!\x11" in data and b"\x1c!\x0c" in data  # GS ! (all characters) and FS ! (Chinese mode)
    assert b"\x1b!" not in data
    sizes = [(" ".join(line.data.decode("gb18030").split()), line.chinese_wide, line.columns)
             for line in printed_lines(data)]
    assert sizes == [("锦华", 2, (10 + 4) * 2), ("合计 ￥9.00", 2, 48), ("小字", 1, 4)]


@pytest.mark.parametrize(("paper", "columns"), [(58, 32), (80, 48)])
def test_titles_are_centred_once(paper, columns):
    """By padding, with the printer left-aligned (no ESC a 1 on top of the padding)."""
    doc = Document(blocks=[Title("锦华展厅"), Text("收款收据", align="center"), Text("右", align="right")])
    data = render(doc, PrinterProfile(paper))
    assert b"\x1ba\x01" not in data
    title, sub, right = printed_lines(data)
    assert title.align == sub.align == 0
    left = len(title.data) - len(title.data.lstrip(b" "))
    assert left * 2 * 2 + 8 * 2 == columns  # as much paper left and right of the enlarged title
    assert (len(sub.data) - len(sub.data.lstrip(b" "))) * 2 + 8 == columns
    assert right.columns == columns


def test_a_double_amount_too_wide_to_enlarge_prints_whole_at_normal_size():
    doc = Document(blocks=[KeyValue("价税合计", "￥199,999,999.98", double=True)])
    (line,) = [ln for ln in layout(doc, 58) if ln.kind == "text"]
    assert not line.double and line.text.endswith("￥199,999,999.98") and text_width(line.text) == 32
