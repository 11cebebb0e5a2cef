"""The showroom itself (展厅 / 售楼处): name and address printed on documents."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Showroom(db.Model):
    """A showroom or sales office. Most shops have one; a PostgreSQL install may have several."""

    __tablename__ = "showroom"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    tax_no: Mapped[str] = mapped_column(String(40), default="")  # 纳税人识别号
