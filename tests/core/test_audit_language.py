"""The audit log keeps the event's data and says it in the reader's language: a payment recorded
by a cashier reading English reads in Chinese for a Chinese manager (and the other way round);
entries from before the data was kept still show their summary; names do not wrap."""


from flask_babel import force_locale
from sqlalchemy import select

from pos.audit.details import details
from pos.audit.models import AuditEntry
from pos.audit.services import record
from pos.cashier import services as cashier
from tests.conftest import login_as, staff_by_no


def text(resp):
    return resp.get_data(as_text=True)


def test_a_payment_reads_in_the_readers_language(app, session, open_shift, write_up):
    open_shift()
    v = write_up("39.00")
    with force_locale("en"):  # the cashier reads English
        cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k-audit", counts={5000: 1})
    session.commit()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "cashier.payment_taken"))
    assert entry.data["tenders"] == [{"kind": "cash", "amount": "50.00"}] and entry.data["change"] == "11.00"
    with force_locale("zh_CN"):
        assert details(entry) == f"{v.no} ￥39.00：现金 ￥50.00；找零 ￥11.00"
    with force_locale("en"):
        assert details(entry) == f"{v.no} ￥39.00: cash ￥50.00; change ￥11.00"


def test_older_entries_show_their_summary(app, session):
    entry = record(session, "cashier.payment_taken", actor=None, summary="V20260101-0001 ￥1.00: cash ￥1.00")
    session.flush()
    assert details(entry) == "V20260101-0001 ￥1.00: cash ￥1.00"
    odd = record(session, "cashier.payment_taken", actor=None, summary="as stored", data={"tenders": [{"x": 1}]})
    assert details(odd) == "as stored"  # data of another shape: the summary still says it


def test_the_audit_screen_renders_details_in_chinese_without_wrapping_names(client, session, open_shift, write_up):
    open_shift()
    v = write_up("39.00")
    with force_locale("en"):
        cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k-audit2", counts={5000: 1})
    session.commit()
    login_as(client, "M001")
    page = text(client.get("/audit"))
    assert "现金 ￥50.00；找零 ￥11.00" in page and "change ￥11.00" not in page
    assert '<td class="nowrap" data-testid="who">陈静</td>' in page


def test_settings_and_a_lock_read_in_the_readers_language(client, session):
    from pos import tx
    from pos.errors import DomainError
    from pos.staff import services as staff_services

    login_as(client, "M001")
    data = {"clerk": "10", "cashier": "0", "manager": "100", "delivery": "0", "invoice_prefix": "FP{year}", "vat": "1"}
    assert client.post("/manage/settings", data=data).status_code == 303
    clerk = staff_by_no("C002")
    for _i in range(5):
        try:
            staff_services.attempt_pin_login(session, clerk.id, "0000", client="tablet-1")
        except DomainError:  # each wrong PIN is refused (the try is kept through the rollback)
            tx.rollback(session)
    entries = {e.kind: e for e in session.scalars(select(AuditEntry))}
    with force_locale("zh_CN"):
        assert details(entries["shop.settings_changed"]).startswith("折扣权限：营业员 10%")
        assert "增值税开" in details(entries["shop.settings_changed"])
        assert "连续输错 5 次，锁定至" in details(entries["staff.locked"])
    with force_locale("en"):
        assert "after 5 wrong attempts" in details(entries["staff.locked"])
