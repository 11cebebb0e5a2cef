"""The Z report on the receipt printer (the A4 PDF is templates/print/z_a4.html)."""

from __future__ import annotations

from printing.documents import Cut, Document, KeyValue, Separator, SignatureLine, Text, Title

from ..cashier.documents import TENDER_NAMES
from ..clock import format_local
from ..money import format_money


def z_document(summary, z, shop_name: str) -> Document:
    blocks: list = [Title(shop_name), Text(f"Z 报表  Z{z.no:04d}", align="center", bold=True, double=True),
                    KeyValue("营业日", summary.day.isoformat()), KeyValue("日结人", z.signed_by.full_name),
                    KeyValue("日结时间", format_local(z.at)), Separator(),
                    KeyValue("营业额", format_money(summary.takings), bold=True, double=True)]
    for kind, amount in summary.by_tender.items():
        blocks.append(KeyValue(TENDER_NAMES.get(kind, kind), format_money(amount)))
    blocks += [
        KeyValue("退款", format_money(summary.refunds)),
        *([KeyValue("退票（支票）", format_money(summary.bounced))] if summary.bounced else []),
        KeyValue("净收入", format_money(summary.net), bold=True),
        *([KeyValue(f"售楼款（监管账户）{summary.escrow.count}笔", format_money(summary.escrow.net))]
          if getattr(summary, "escrow", None) and (summary.escrow.count or summary.escrow.reversed) else []),
        KeyValue("长短款合计", format_money(summary.over_short)),
        Separator(),
        KeyValue("开单", str(summary.written_up)),
        KeyValue("收款笔数", str(summary.paid)),
        KeyValue("作废销售单", str(summary.cancelled)),
        KeyValue("发票 / 作废", f"{summary.invoices} / {summary.invoices_void}"),
        KeyValue("待到账支票", str(summary.cheques_pending)),
        Separator(),
    ]
    for shift in summary.shifts:
        blocks.append(KeyValue(f"{shift.station.name} {shift.cashier.full_name}",
                               format_money(shift.over_short or 0)))
    blocks += [SignatureLine("店长签字"), Cut()]
    return Document(blocks=blocks)
