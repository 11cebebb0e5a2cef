"""The invoice on the receipt printer (the A5 PDF is templates/print/invoice_a5.html)."""

from __future__ import annotations

from printing.documents import Cut, Document, KeyValue, Separator, SignatureLine, Text, Title

from ..money import amount_in_words, format_money, plain_number
from .models import Invoice


def invoice_document(inv: Invoice, shop_name: str) -> Document:
    blocks: list = [Title(shop_name), Text("发　票", align="center", bold=True, double=True)]
    if inv.is_void:
        blocks.append(Text("*** 作废 VOID ***", align="center", bold=True, double=True))
    blocks += [KeyValue("发票号码", inv.no), KeyValue("开票日期", inv.issue_date.isoformat()),
               Text(f"购买方：{inv.buyer_name} {inv.buyer_phone}"), Text(f"地址：{inv.buyer_address}")]
    if inv.buyer_tax_no:
        blocks.append(KeyValue("纳税人识别号", inv.buyer_tax_no))
    blocks.append(Separator())
    for line in inv.lines:
        blocks.append(Text(f"{line.position}. {line.name} {line.spec}".strip()))
        blocks.append(KeyValue(f"   {plain_number(line.quantity)}{line.unit} × {format_money(line.unit_price)}",
                               format_money(line.amount)))
        if inv.vat:
            blocks.append(KeyValue(f"   税率 {line.tax_rate_bp / 100:g}%", f"税额 {format_money(line.tax)}"))
    blocks.append(Separator())
    if inv.vat:
        blocks += [KeyValue("金额（不含税）", format_money(inv.total_excl)),
                   KeyValue("税额", format_money(inv.total_tax))]
    blocks += [KeyValue("价税合计", format_money(inv.total), bold=True, double=True),
               Text(f"大写：人民币{amount_in_words(inv.total)}")]
    if inv.remark:
        blocks.append(Text(f"备注：{inv.remark}", bold=True))
    blocks += [KeyValue("开票人", inv.preparer.full_name), KeyValue("收款人", inv.cashier_name or "—"),
               SignatureLine("顾客签字"), Cut()]
    return Document(blocks=blocks)
