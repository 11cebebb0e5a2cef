"""PostgreSQL refuses a NUL in text (SQLite stores it): every request carrying one is refused
before any view — the anonymous password login, the catalogue search, a form — with a 400 and a
message, never the database's error as a 500; and an id beyond INTEGER in the address is a 404."""

import pytest
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.catalog.models import Product
from pos.extensions import db
from tests.conftest import login_as

pytestmark = pytest.mark.pg


def test_nul_bytes_and_huge_ids_on_postgresql(pg_app):
    client = pg_app.test_client()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))
    resp = client.post("/login/password", data={"staff_no": "M001\x00", "password": "x\x00"})
    assert resp.status_code == 400 and "控制字符" in resp.get_data(as_text=True)
    login_as(client, "M001")
    assert client.get("/catalog?q=%E5%86%B0%00").status_code == 400
    product = db.session.scalar(select(Product).order_by(Product.id).limit(1))
    resp = client.post(f"/manage/products/{product.id}/stock", data={"quantity": "1", "reason": "盘\x00点"})
    assert resp.status_code == 400
    assert client.get("/manage/products/2147483648").status_code == 404
    assert client.post("/manage/products/2147483648/stock", data={"quantity": "1"}).status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
