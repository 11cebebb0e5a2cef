"""The dispatch slip (送货单) on the receipt printer (the A5 PDF is templates/print/slip_a5.html)."""

from __future__ import annotations

from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import UnmappedInstanceError

from printing.documents import QR, Cut, Document, KeyValue, Separator, SignatureLine, Text, Title

from ..money import format_money, plain_number
from ..sales import serials
from .models import DispatchSlip


def slip_document(s: DispatchSlip, shop_name: str) -> Document:
    blocks: list = [Title(shop_name), Text("送货单", align="center", bold=True, double=True),
                    KeyValue("单号", s.no), KeyValue("销售单", s.voucher.no),
                    KeyValue("送货日期", f"{s.window_day.isoformat()} {s.window}".strip()), Separator(),
                    Text(f"收货人：{s.customer_name}", bold=True), Text(f"电话：{s.phone}", bold=True),
                    Text(f"地址：{s.address}", bold=True), Separator()]
    try:
        session = object_session(s)
    except UnmappedInstanceError:  # a stand-in slip (a preview): no serials
        session = None
    pickup_id = getattr(s, "pickup_id", None)
    sold = serials.serials_by_line(session, s.voucher_id, pickup_id=pickup_id) if session and pickup_id else {}
    for line in s.lines:
        vl = line.voucher_line
        blocks.append(KeyValue(f"{vl.product_name} {vl.model} {vl.colour}".strip(),
                               f"{plain_number(line.quantity)}{vl.unit}"))
        # the driver and the customer check the serials against the boxes
        for serial in sold.get(line.voucher_line_id, []) if sold else []:
            blocks.append(Text(f"  序列号 {serial}"))
    if s.notes:
        blocks.append(Text(f"备注：{s.notes}"))
    if s.collect > 0:
        blocks.append(KeyValue("货到收款", format_money(s.collect), bold=True, double=True))
    blocks += [QR(s.no), SignatureLine("收货人签字"), Cut()]
    return Document(blocks=blocks)
