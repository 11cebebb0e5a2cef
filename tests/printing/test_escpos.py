"""The printing library: layout in columns, ESC/POS bytes, decoding them back."""

import pytest

from printing.documents import (
    QR,
    Column,
    Cut,
    Document,
    DrawerPulse,
    KeyValue,
    Separator,
    Stamp,
    Table,
    Text,
    Title,
    fit,
    layout,
    preview_text,
    text_width,
    wrap,
)
from printing.escpos import PrinterProfile, decode_text, encode_text, render


def test_chinese_counts_two_columns():
    assert text_width("销售凭证") == 8 and text_width("V2026") == 5 and text_width("￥1.00") == 6
    assert fit("合计", 6, "right") == "  合计"
    assert wrap("海尔对开门冰箱", 6) == ["海尔对", "开门冰", "箱"]


@pytest.mark.parametrize("paper, columns", [(58, 32), (80, 48)])
def test_every_line_fits_the_paper(paper, columns):
    doc = Document(blocks=[
        Text("很长的一段中文说明，" * 8), KeyValue("顾客", "周先生 13800138001 上海市浦东新区张杨路500号3号楼1201室"),
        Table([Column("品名", 4), Column("金额", 1, "right")],
              [["海尔对开门冰箱 BCD-100A 星空灰 540升", "￥9,996.00"]]),
        Separator(), Stamp(["收款专用章", "陈静", "2026-11-22 14:05"]),
    ])
    for line in layout(doc, paper):
        if line.kind == "text":
            assert text_width(line.text) <= (columns // 2 if line.double else columns), line.text


def test_amount_columns_are_never_broken():
    doc = Document(blocks=[Table([Column("品名", 4), Column("金额", 1, "right")],
                                 [["海尔对开门冰箱 BCD-100A", "￥9,996.00"]])])
    assert any(line.text.endswith("￥9,996.00") for line in layout(doc, 58))


def test_exact_bytes_of_a_small_receipt():
    doc = Document(blocks=[Text("合计 ￥12.50", bold=True), Cut()])
    data = render(doc, PrinterProfile(paper_mm=58))
    assert data.startswith(b"\x1b@\x1c&")  # initialise, Chinese mode
    assert "合计 ￥12.50".encode("gb18030") + b"\n" in data
    assert b"\x1bE\x01" in data  # bold on
    assert b"\x1dV" in data  # cut
    assert data.index("合计".encode("gb18030")) < data.index(b"\x1dV")


def test_bytes_decode_back_to_the_chinese_text():
    doc = Document(blocks=[Title("锦华家居电器展厅"), Text("，。！（）"), Text("单价 ¥39.00"),
                           KeyValue("合计", "￥39.00"), QR("V20261122-0007"), Cut(), DrawerPulse()])
    data = render(doc, PrinterProfile(paper_mm=80))
    text = decode_text(data)
    assert "锦华家居电器展厅" in text
    assert "，。！（）" in text  # punctuation alone is not '?'
    assert "单价 ￥39.00" in text  # ¥ (U+00A5) is printed as ￥
    assert "?" not in text
    assert b"\x1d(k" in data and b"1P0V20261122-0007" in data  # native QR holds the voucher number
    assert b"\x1bp\x00" in data  # drawer kick, pin 2
    assert data.index(b"1P0V20261122-0007") < data.index(b"\x1dV")  # cut after the QR


def test_characters_outside_the_printer_font_are_replaced_visibly():
    assert encode_text("好😀") == "好?".encode("gb18030")
    assert decode_text(render(Document(blocks=[Text("😀🎉 表情")]))).strip().endswith("?? 表情")


def test_gbk_printer_and_image_qr_fallback():
    doc = Document(blocks=[Text("收款"), QR("V1")])
    data = render(doc, PrinterProfile(paper_mm=58, native_qr=False, encoding="gbk"))
    assert "收款".encode("gbk") in data
    assert b"\x1d(k" not in data and b"\x1dv0" in data  # raster image instead of the native command
    with pytest.raises(ValueError):
        encode_text("x", "latin-1")


def test_reprint_and_copy_are_marked():
    doc = Document(blocks=[Text("x")], copy_label="客户联", reprint=2)
    text = preview_text(doc, 58)
    assert "重印 COPY 2" in text and "[客户联]" in text


def test_document_round_trips_through_json():
    doc = Document(blocks=[Title("t"), Table([Column("a", 1)], [["1"]]), QR("q"), Stamp(["s"])], copy_label="财务联")
    again = Document.from_dict(doc.to_dict())
    assert again == doc
