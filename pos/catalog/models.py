"""The catalogue (商品目录): brands, categories, products and their pictures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db


class Brand(db.Model):
    """A brand (品牌)."""

    __tablename__ = "brand"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Category(db.Model):
    """A product category (品类)."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Product(db.Model):
    """A product as sold at the counter. Each colour variant is its own product (own
    barcode and stock); variants of one model share ``family``."""

    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_family", "family"),
        # in-stock alternatives (catalog.alternatives): the same category read in price order from
        # the price asked, not the whole category sorted; only the rows it can offer are indexed
        Index("ix_product_in_stock_price", "category_id", "list_price",
              sqlite_where=text("active IS 1 AND stock_on_hand > 0"),
              postgresql_where=text("active IS true AND stock_on_hand > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    model: Mapped[str] = mapped_column(String(60), default="")  # 型号
    spec: Mapped[str] = mapped_column(String(100), default="")  # 规格
    colour: Mapped[str] = mapped_column(String(30), default="")
    family: Mapped[str] = mapped_column(String(100), default="")
    barcode: Mapped[str | None] = mapped_column(String(40), unique=True)
    unit: Mapped[str] = mapped_column(String(10), default="件")
    whole_units_only: Mapped[bool] = mapped_column(default=True)  # pieces: no fractions
    list_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate_bp: Mapped[int] = mapped_column(default=1300)  # basis points: 1300 = 13 %
    stock_on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    selling_points: Mapped[str] = mapped_column(Text, default="")
    functions: Mapped[str] = mapped_column(Text, default="")
    # each piece's serial number is recorded when it is handed over (appliances, electronics)
    requires_serial: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    warranty_months: Mapped[int] = mapped_column(default=0, server_default="0")  # 保修月数, 0: none
    search_key: Mapped[str] = mapped_column(String(400), default="")  # indexed by search_index.py
    search_grams: Mapped[str] = mapped_column(Text, default="")  # its bigrams (PostgreSQL's index)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    brand: Mapped[Brand] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    pictures: Mapped[list[ProductPicture]] = relationship(
        back_populates="product", order_by="ProductPicture.position", cascade="all, delete-orphan"
    )


class ProductPicture(db.Model):
    """A picture of a product, stored as a file under the media folder."""

    __tablename__ = "product_picture"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    path: Mapped[str] = mapped_column(String(200))  # relative to POS_MEDIA_DIR
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="pictures")


class ProductRelation(db.Model):
    """A suggestion from one product to another (建议购买): an accessory to offer with
    it, or an alternative to offer when it is out of stock."""

    __tablename__ = "product_relation"
    __table_args__ = (UniqueConstraint("product_id", "related_id", "kind"),)

    KINDS = ("accessory", "alternative")

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    kind: Mapped[str] = mapped_column(String(20))

    related: Mapped[Product] = relationship(foreign_keys=[related_id], lazy="joined")
