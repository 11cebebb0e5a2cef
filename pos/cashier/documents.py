"""The cashier's printed documents: the payment receipt, the stamped voucher's three
copies, the refund slip and the shift report."""

from __future__ import annotations

from collections.abc import Callable

from printing.documents import (
    QR,
    Cut,
    Document,
    DrawerPulse,
    KeyValue,
    Separator,
    SignatureLine,
    Stamp,
    Text,
    Title,
)

from ..clock import format_local
from ..money import format_money, plain_number
from ..sales.documents import goods_blocks, serial_blocks, voucher_document
from .models import Payment, Refund, Shift

TENDER_NAMES = {"cash": "现金", "card": "银行卡", "wechat": "微信支付", "alipay": "支付宝", "cheque": "支票"}
COPY_NAMES = {"finance": "财务联", "stub": "存根联", "customer": "客户联"}
CHEQUE_NOTE = "支票付款：款项到账后方可提货"


def stamp_lines(payment: Payment) -> list[str]:
    """The payment stamp (收款专用章): cashier's full name, date and time, voucher number."""
    return ["收款专用章", payment.cashier.full_name, format_local(payment.at), payment.voucher.no]


def tender_lines(payment: Payment) -> list:
    blocks = []
    for t in payment.tenders:
        label = TENDER_NAMES.get(t.kind, t.kind) + (f" {t.reference}" if t.reference else "")
        blocks.append(KeyValue(label, format_money(t.amount)))
    return blocks


#: what a higher domain adds to the payment receipt after its stamp (after-sales: the survey QR), registered
#: at import (the cashier never imports them): ``fn(payment) -> [blocks]``
_receipt_extras: dict[str, Callable[[Payment], list]] = {}


def register_receipt_extra(fn: Callable[[Payment], list]) -> Callable[[Payment], list]:
    _receipt_extras[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def receipt_document(payment: Payment, shop_name: str, *, just_paid: bool = False) -> Document:
    """The payment receipt; a cash payment opens the drawer first. ``just_paid``: printed as the
    payment is taken, when no piece can have been handed over yet unless the voucher is paid on
    delivery (goods leave only once paid, pos.sales.pickup): the serials are not looked for."""
    v = payment.voucher
    blocks: list = []
    if any(t.kind == "cash" for t in payment.tenders):
        blocks.append(DrawerPulse())
    blocks += [Title(shop_name), Text("收款收据", align="center", bold=True), KeyValue("单号", v.no),
               KeyValue("时间", format_local(payment.at)), KeyValue("收银员", payment.cashier.full_name), Separator(),
               *goods_blocks(v), Separator(),  # what was paid for, as the voucher lists it (its serials below)
               KeyValue("应收", format_money(payment.amount_due), bold=True), *tender_lines(payment),
               KeyValue("实收", format_money(payment.received)),
               KeyValue("找零", format_money(payment.change_given), bold=True, double=True)]
    if payment.rejected_notes:
        blocks.append(Text(f"拒收钞票 {len(payment.rejected_notes)} 张（已退回）"))
    if payment.awaiting_clearance:
        blocks.append(Text(CHEQUE_NOTE, bold=True))
    if not just_paid or v.pay_on_delivery:
        blocks += serial_blocks(v)  # serial numbers handed over (a receipt reprinted after the pickup)
    blocks += [QR(v.no), Stamp(stamp_lines(payment))]
    for extra in list(_receipt_extras.values()):
        blocks += extra(payment)
    blocks.append(Cut())
    return Document(blocks=blocks)


def copy_document(payment: Payment, which: str, shop_name: str) -> Document:
    """One of the stamped voucher's copies: 财务联, 存根联 or 客户联 — each says which it is."""
    notes = [CHEQUE_NOTE] if payment.awaiting_clearance and which == "customer" else []
    tenders = "、".join(f"{TENDER_NAMES.get(t.kind, t.kind)} {format_money(t.amount)}" for t in payment.tenders)
    notes.insert(0, f"付款：{tenders}" + (f"，找零 {format_money(payment.change_given)}"
                                          if payment.change_given else ""))
    return voucher_document(payment.voucher, shop_name, copy_label=COPY_NAMES[which], stamp=stamp_lines(payment),
                            notes=notes, signature=which == "customer")


def shift_document(shift: Shift, summary, shop_name: str, *, blind: bool = False) -> Document:
    """The shift report on the receipt printer; ``blind`` (an X report the cashier prints during the
    shift) leaves out the cash figures, so the closing count stays blind."""
    title = "X 报表（班中，未交班）" if shift.is_open else "交班报表"
    blocks: list = [Title(shop_name), Text(title, align="center", bold=True),
                    KeyValue("收银台", shift.station.name), KeyValue("收银员", shift.cashier.full_name),
                    KeyValue("开班", format_local(shift.opened_at)),
                    KeyValue("交班", format_local(shift.closed_at) if shift.closed_at else "未交班"), Separator(),
                    KeyValue("备用金", format_money(shift.opening_float)), KeyValue("收款笔数", str(summary.payments))]
    for kind, amount in summary.by_tender.items():
        if not (blind and kind == "cash"):
            blocks.append(KeyValue(TENDER_NAMES.get(kind, kind), format_money(amount)))
    for money in getattr(summary, "other_money", []):
        blocks.append(KeyValue(f"{money.label_zh}（{money.count}笔）", format_money(money.amount)))
    if blind:
        blocks.append(Text("现金盲点：应有现金在交班点数后显示"))
    else:
        blocks += [KeyValue("找零", format_money(summary.change_out)),
                   KeyValue("现金退款", format_money(summary.cash_refunds)),
                   KeyValue("应有现金", format_money(summary.expected_cash), bold=True)]
    if shift.counted_cash is not None:
        blocks += [KeyValue("实点现金", format_money(shift.counted_cash), bold=True),
                   KeyValue("长短款", format_money(shift.over_short), bold=True, double=True)]
    if summary.cheques_pending:
        blocks.append(Text(f"待到账支票 {len(summary.cheques_pending)} 张"))
        for t in summary.cheques_pending:
            blocks.append(KeyValue(f" {t.reference} {t.cheque_bank}", format_money(t.amount)))
    if summary.rejected:
        blocks.append(Text(f"拒收钞票 {len(summary.rejected)} 张"))
    blocks += [KeyValue("开钱箱次数", str(summary.drawer_openings)), Cut()]
    return Document(blocks=blocks)


REFUND_METHODS = {"cash": "现金退款", "original": "原路退回"}


def refund_document(refund: Refund, shop_name: str) -> Document:
    """The refund slip (退款单): what came back, how the money went back, who approved it; the
    customer signs. A cash refund opens the drawer first."""
    v = refund.voucher
    blocks: list = [DrawerPulse()] if refund.method == "cash" else []
    blocks += [Title(shop_name), Text("退款单", align="center", bold=True), KeyValue("销售单", v.no),
               KeyValue("时间", format_local(refund.at)), KeyValue("收银员", refund.cashier.full_name),
               KeyValue("批准", refund.approved_by.full_name), Separator()]
    for line in refund.lines:
        vl = line.voucher_line
        blocks.append(Text(f"{vl.position}. {vl.product_name} {vl.model}".strip()))
        blocks.append(KeyValue(f"   退 {plain_number(line.quantity)}{vl.unit} × {format_money(vl.unit_price)}",
                               format_money(line.amount)))
    blocks += [Separator(), KeyValue("退款金额", format_money(refund.amount), bold=True, double=True),
               KeyValue("退款方式", REFUND_METHODS.get(refund.method, refund.method)),
               Text(f"原因：{refund.reason}"), SignatureLine("顾客签字"), Cut()]
    return Document(blocks=blocks)
