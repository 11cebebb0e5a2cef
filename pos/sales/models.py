"""Sales vouchers (销售凭证) and their lines: the counter write-up and phone orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Product
from ..customers.models import Customer
from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db
from ..staff.models import Staff


class VoucherStatus:
    """Where a voucher is in its life. Payment, pickup and delivery states are
    kept by their own records (cashier, pickup) and shown beside this."""

    DRAFT = "draft"  # being written up on the clerk's tablet
    AWAITING_REVIEW = "awaiting_review"  # phone order read back and confirmed, waiting for 订单评审
    WRITTEN_UP = "written_up"  # frozen, numbered: the sales voucher to take to the cashier
    REJECTED = "rejected"  # phone order the manager turned down
    CANCELLED = "cancelled"  # written up, then cancelled before payment (with a reason)

    ALL = (DRAFT, AWAITING_REVIEW, WRITTEN_UP, REJECTED, CANCELLED)


class PaymentState:
    """Whether a written-up voucher is paid (收款), kept on the voucher by the cash desk's rules."""

    UNPAID = "unpaid"
    PAID = "paid"
    AWAITING_CLEARANCE = "awaiting_clearance"  # paid by cheque: the goods wait for the funds
    REFUNDED = "refunded"  # everything was paid back

    ALL = (UNPAID, PAID, AWAITING_CLEARANCE, REFUNDED)


class Voucher(db.Model):
    """A sales voucher (销售凭证). Written up once, then never edited: a wrong one is
    cancelled (with a reason) and a new one written."""

    __tablename__ = "voucher"
    __table_args__ = (
        Index("ix_voucher_clerk_status", "clerk_id", "status"),
        Index("ix_voucher_business_day", "business_day"),
        # the manager's day view counts what is still open: unpaid, and paid but not all picked up
        Index("ix_voucher_payment_state", "payment_state", "status"),
        Index("ix_voucher_pickup_state", "pickup_state", "payment_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str | None] = mapped_column(String(20), unique=True)  # V20261122-0007
    status: Mapped[str] = mapped_column(String(20), default=VoucherStatus.DRAFT, index=True)
    channel: Mapped[str] = mapped_column(String(10), default="counter")  # counter | phone
    clerk_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(60), default="")
    customer_phone: Mapped[str] = mapped_column(String(20), default="")
    delivery_address: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    checksum: Mapped[str | None] = mapped_column(String(64))
    business_day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    written_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # phone orders (电话叫货) and their review (订单评审)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # customer confirmed the read-back
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    pay_on_delivery: Mapped[bool] = mapped_column(default=False)
    # kept by the cashier (who imports sales, never the other way): unpaid | paid | awaiting_clearance
    payment_state: Mapped[str] = mapped_column(String(20), default=PaymentState.UNPAID)
    # kept by pickup (this domain): none | partial | complete
    pickup_state: Mapped[str] = mapped_column(String(10), default="none")

    clerk: Mapped[Staff] = relationship(foreign_keys=[clerk_id], lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")
    cancelled_by: Mapped[Staff | None] = relationship(foreign_keys=[cancelled_by_id])
    reviewed_by: Mapped[Staff | None] = relationship(foreign_keys=[reviewed_by_id])
    lines: Mapped[list[VoucherLine]] = relationship(
        back_populates="voucher", order_by="VoucherLine.position", cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_frozen(self) -> bool:
        return self.status not in (VoucherStatus.DRAFT,)


class VoucherLine(db.Model):
    """One line: what was sold, copied from the catalogue at write-up time (a later
    price change never rewrites it). ``amount = quantity × unit_price`` exactly."""

    __tablename__ = "voucher_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(100))
    brand_name: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60), default="")
    spec: Mapped[str] = mapped_column(String(100), default="")
    colour: Mapped[str] = mapped_column(String(30), default="")
    unit: Mapped[str] = mapped_column(String(10), default="件")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    list_price: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)  # the actual price after discount
    amount: Mapped[Decimal] = mapped_column(Money)
    vat_rate_bp: Mapped[int] = mapped_column(default=1300)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    voucher: Mapped[Voucher] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")
    approved_by: Mapped[Staff | None] = relationship(foreign_keys=[approved_by_id], lazy="joined")

    @property
    def discount(self) -> Decimal:
        """Discount per unit (list price − actual price)."""
        return self.list_price - self.unit_price


class Pickup(db.Model):
    """A handover of goods against the stamped voucher (取货): counted and packed, the
    shop's copy collected. Partial pickups leave the rest open. Stock goes down here."""

    __tablename__ = "pickup"

    id: Mapped[int] = mapped_column(primary_key=True)
    once_key: Mapped[str] = mapped_column(String(64), unique=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    mode: Mapped[str] = mapped_column(String(10), default="counter")  # counter | delivery
    shop_copy_collected: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    voucher: Mapped[Voucher] = relationship()
    clerk: Mapped[Staff] = relationship(lazy="joined")
    lines: Mapped[list[PickupLine]] = relationship(back_populates="pickup", lazy="selectin")


class PickupLine(db.Model):
    __tablename__ = "pickup_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup.id"), index=True)
    voucher_line_id: Mapped[int] = mapped_column(ForeignKey("voucher_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    pickup: Mapped[Pickup] = relationship(back_populates="lines")
    voucher_line: Mapped[VoucherLine] = relationship(lazy="joined")
