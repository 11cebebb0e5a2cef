"""The sales voucher (销售凭证) as a printable document (thermal receipt)."""

from __future__ import annotations

from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import UnmappedInstanceError

from printing.documents import QR, Cut, Document, KeyValue, Separator, SignatureLine, Stamp, Text, Title

from ..clock import format_local
from ..money import amount_in_words, format_money, plain_number
from .models import Voucher


def voucher_blocks(voucher: Voucher, shop_name: str) -> list:
    blocks: list = [Title(shop_name), Text("销售凭证", align="center", bold=True),
                    KeyValue("单号", voucher.no or ""), KeyValue("日期", format_local(voucher.written_up_at)),
                    KeyValue("营业员", voucher.clerk.full_name)]
    if voucher.customer_name:
        blocks.append(KeyValue("顾客", f"{voucher.customer_name} {voucher.customer_phone}"))
    if voucher.delivery_address:
        blocks.append(Text(f"送货地址：{voucher.delivery_address}"))
    blocks.append(Separator())
    blocks += goods_blocks(voucher, _serials(voucher))
    blocks += [Separator(), KeyValue("合计", format_money(voucher.total), bold=True, double=True),
               Text(f"大写：人民币{amount_in_words(voucher.total)}")]
    return blocks


def goods_blocks(voucher: Voucher, sold: dict[int, list[str]] | None = None) -> list:
    """Each line: what it is (name, brand, model, spec, colour), then quantity × actual unit price and
    its amount; ``sold``: the serial numbers handed over, by line (known once the pieces are; a reprint
    shows them)."""
    blocks: list = []
    for line in voucher.lines:
        spec = " ".join(p for p in (line.spec, line.colour) if p)
        blocks.append(Text(f"{line.position}. {line.product_name} {line.brand_name} {line.model} {spec}".strip()))
        blocks.append(KeyValue(f"   {plain_number(line.quantity)}{line.unit} × {format_money(line.unit_price)}",
                               format_money(line.amount)))
        for serial in (sold or {}).get(line.id, []):
            blocks.append(Text(f"   序列号 {serial}"))
    return blocks


def _serials(voucher: Voucher) -> dict[int, list[str]]:
    from .serials import serials_by_line

    try:
        session = object_session(voucher)
    except UnmappedInstanceError:  # a stand-in voucher (a preview, a test page): no serials
        return {}
    return serials_by_line(session, voucher.id) if session is not None and voucher.id else {}


def serial_blocks(voucher: Voucher) -> list:
    """The serial numbers handed over on a voucher, for a receipt reprinted after the handover
    (at payment they are not known yet: nothing)."""
    sold = _serials(voucher)
    blocks: list = []
    for line in voucher.lines:
        if sold.get(line.id):
            blocks.append(Text(f"{line.product_name} {line.model}".strip()))
            blocks += [Text(f"   序列号 {serial}") for serial in sold[line.id]]
    return [Separator(), *blocks] if blocks else []


def voucher_document(voucher: Voucher, shop_name: str, *, copy_label: str = "", stamp: list[str] | None = None,
                     notes: list[str] | None = None, signature: bool = False) -> Document:
    blocks = voucher_blocks(voucher, shop_name)
    for note in notes or []:
        blocks.append(Text(note, bold=True))
    blocks.append(QR(voucher.no or ""))
    if stamp:
        blocks.append(Stamp(stamp))
    if signature:
        blocks.append(SignatureLine("顾客签字"))
    blocks.append(Cut())
    return Document(blocks=blocks, copy_label=copy_label)
