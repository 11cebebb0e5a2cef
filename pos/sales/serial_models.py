"""Serial numbers and warranty (序列号与保修): one row per piece of a serial-tracked product handed
over to a customer. The row is the piece's warranty record too: the product's warranty months
counted from the handover day.

One live row per (product, serial): a partial unique index on rows not returned, so a serial is
sold once until the piece comes back (a refund sets ``returned_at``), and may be sold again then."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Product
from ..customers.models import Customer
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from .models import Pickup, Voucher, VoucherLine


class SoldSerial(db.Model):
    """A piece handed over with its serial number, and its warranty (保修)."""

    __tablename__ = "sold_serial"
    __table_args__ = (
        Index("uq_sold_serial_live", "product_id", "serial", unique=True,
              sqlite_where=text("returned_at IS NULL"), postgresql_where=text("returned_at IS NULL")),
        Index("ix_sold_serial_serial", "serial"),
        Index("ix_sold_serial_customer", "customer_id", "handed_over_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    serial: Mapped[str] = mapped_column(String(40))  # normalised: half-width, upper case
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    voucher_line_id: Mapped[int] = mapped_column(ForeignKey("voucher_line.id"), index=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_over_on: Mapped[date] = mapped_column(Date)  # the shop's local day (pos.clock)
    warranty_months: Mapped[int] = mapped_column(default=0)
    warranty_until: Mapped[date | None] = mapped_column(Date)  # last day covered; None: no warranty
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the piece came back (refund)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))

    product: Mapped[Product] = relationship(lazy="joined")
    voucher: Mapped[Voucher] = relationship(lazy="joined")
    voucher_line: Mapped[VoucherLine] = relationship()
    pickup: Mapped[Pickup] = relationship()
    customer: Mapped[Customer | None] = relationship()

    def under_warranty(self, today: date) -> bool:
        return self.returned_at is None and self.warranty_until is not None and today <= self.warranty_until
