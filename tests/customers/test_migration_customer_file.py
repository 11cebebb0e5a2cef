"""Migration of existing data into the customer file: a database made by the revision before the
customer file (0020) with customers, a visit, an interest and a voucher is upgraded to the head;
every row is still there, each customer has its last four digits and its first visit's channel,
and the customer's page shows the voucher and the visit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from pos import create_app
from pos.customers import file as files
from pos.extensions import db
from tests.conftest import BASE_CONFIG

BEFORE = "0020_property_queue_fee"


def utc(*parts) -> datetime:
    """A time as the database stores it (UTC, no zone)."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def _insert(conn, table: str, **values) -> int:
    """Insert a row giving only what matters; other NOT NULL columns without a default get a plain value."""
    columns = sa.inspect(conn).get_columns(table)
    for col in columns:
        if col["name"] in values or col["nullable"] or col.get("default") is not None or col["name"] == "id":
            continue
        kind = str(col["type"]).upper()
        values[col["name"]] = (utc(2026, 1, 5, 8, 0) if "DATETIME" in kind or "TIMESTAMP" in kind
                               else date(2026, 1, 5) if kind == "DATE" else 0 if "INT" in kind or "BOOL" in kind
                               else "x")
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    return conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id"), values).scalar_one()


def test_existing_customers_interests_and_vouchers_appear_in_the_file(tmp_path, media_dir):
    path = tmp_path / "old.sqlite3"
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{path}",
                      "POS_MEDIA_DIR": str(media_dir)})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as conn:
            staff = _insert(conn, "staff", staff_no="C900", full_name="老店员", active=1)
            brand = _insert(conn, "brand", name="老品牌")
            category = _insert(conn, "category", name="老品类")
            product = _insert(conn, "product", name="老冰箱", brand_id=brand, category_id=category, list_price=300000,
                              active=1)
            a = _insert(conn, "customer", name="钱先生", phone="13512345678", address="老地址", note="老备注")
            b = _insert(conn, "customer", name="孙女士", phone="02158886666", address="", note="")
            _insert(conn, "customer_visit", customer_id=a, staff_id=staff, channel="referral",
                    at=utc(2026, 1, 3, 2, 0), needs_area="100㎡", note="")
            _insert(conn, "customer_visit", customer_id=a, staff_id=staff, channel="phone",
                    at=utc(2026, 1, 9, 2, 0), note="")
            _insert(conn, "customer_interest", customer_id=a, product_id=product, staff_id=staff,
                    at=utc(2026, 1, 4, 2, 0))
            _insert(conn, "voucher", no="V20260105-0001", status="written_up", channel="counter", clerk_id=staff,
                    customer_id=a, customer_name="钱先生", customer_phone="13512345678", total=300000,
                    payment_state="paid", written_up_at=utc(2026, 1, 5, 3, 0), created_at=utc(2026, 1, 5))
            before = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                      for t in ("customer", "customer_visit", "customer_interest", "voucher")}
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            after = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in before}
            rows = {r.id: r for r in conn.execute(sa.text(
                "SELECT id, name, phone, address, note, phone_last4, channel, grade, merged_into_id FROM customer"))}
        assert after == before
        assert (rows[a].phone_last4, rows[a].channel, rows[a].address, rows[a].note) == \
            ("5678", "referral", "老地址", "老备注")
        assert (rows[b].phone_last4, rows[b].channel, rows[b].grade, rows[b].merged_into_id) == ("6666", "", "C", None)
        from pos.staff.services import create_staff

        manager = create_staff(db.session, staff_no="M900", full_name="经理", roles=["manager"], pin="9911",
                               password="manager-test-9", actor=None)
        f = files.customer_file(db.session, a, manager)
        kinds = sorted(e.kind for e in f.timeline)
        assert kinds == ["visit", "visit", "voucher"]
        assert [p.name for p, _at in f.interests] == ["老冰箱"]
        assert [x.customer.id for x in files.search(db.session, manager, phone="5678")] == [a]
        db.session.remove()
        db.engine.dispose()
