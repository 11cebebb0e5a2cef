"""Invoices (发票): gapless numbers, lines with VAT, void and reissue, the platform link.

An issued invoice row is never updated: its void (作废), its link to the tax
platform's 数电票 number and its vouchers are rows of their own.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..customers.models import Customer
from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db
from ..sales.models import Voucher, VoucherLine
from ..staff.models import Staff


class Invoice(db.Model):
    """The shop's own invoice document (SPEC §B)."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("series", "seq"), Index("ix_invoice_issue_date", "issue_date"),
                      Index("ix_invoice_issued_at", "issued_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(30), unique=True)  # FP2026-000123
    series: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column()
    issue_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(60))
    buyer_phone: Mapped[str] = mapped_column(String(20))
    buyer_address: Mapped[str] = mapped_column(String(200))
    buyer_tax_no: Mapped[str] = mapped_column(String(30), default="")
    remark: Mapped[str] = mapped_column(String(200), default="")  # 补开 when issued after the sale day
    vat: Mapped[bool] = mapped_column(default=True)  # the shop is set up for VAT
    total: Mapped[Decimal] = mapped_column(Money)  # including tax
    total_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    preparer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))  # 开票人
    cashier_name: Mapped[str] = mapped_column(String(40), default="")  # 收款人
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), unique=True)

    customer: Mapped[Customer | None] = relationship(lazy="joined")
    preparer: Mapped[Staff] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", order_by="InvoiceLine.position",
                                                    lazy="selectin")
    vouchers: Mapped[list[Voucher]] = relationship(secondary="invoice_voucher", lazy="selectin",
                                                   order_by="Voucher.no")
    void: Mapped[InvoiceVoid | None] = relationship(back_populates="invoice", lazy="selectin", uselist=False)
    platform: Mapped[InvoicePlatformLink | None] = relationship(lazy="selectin", uselist=False)
    replaces: Mapped[Invoice | None] = relationship(remote_side=[id], foreign_keys=[replaces_id],
                                                    back_populates="replaced_by")
    replaced_by: Mapped[Invoice | None] = relationship(foreign_keys=[replaces_id], back_populates="replaces",
                                                       uselist=False)

    @property
    def is_void(self) -> bool:
        return self.void is not None

    @property
    def total_excl(self) -> Decimal:
        return self.total - self.total_tax


class InvoiceVoucher(db.Model):
    """Which vouchers an invoice covers (one customer's, one or several)."""

    __tablename__ = "invoice_voucher"
    __table_args__ = (UniqueConstraint("invoice_id", "voucher_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)


class InvoiceLine(db.Model):
    """A line: name and spec, quantity, the actual unit price after discount,
    ``amount = quantity × unit price`` (tax included), and its tax."""

    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column()
    voucher_line_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_line.id"))
    name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(String(200), default="")  # brand, spec, colour
    unit: Mapped[str] = mapped_column(String(10), default="件")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    voucher_line: Mapped[VoucherLine | None] = relationship()

    @property
    def amount_excl(self) -> Decimal:
        return self.amount - self.tax


class InvoiceVoid(db.Model):
    """作废: the invoice is kept, marked void with the reason."""

    __tablename__ = "invoice_void"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="void")
    by: Mapped[Staff] = relationship(lazy="joined")


class InvoicePlatformLink(db.Model):
    """The 20-digit number of the official electronic invoice (数电票) issued for ours."""

    __tablename__ = "invoice_platform_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[Staff] = relationship(lazy="joined")
