"""A print job is visible only to the people who may see the document it prints: its preview
(/printers/jobs/<id>), reprint, retry and the jobs list. Ids are sequential, so a cashier must
not read another cashier's shift report or the Z report by counting."""

from sqlalchemy import select

from pos.cashier.models import Shift
from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from printing.documents import Document, Text
from tests.conftest import login_as, staff_by_no


def text(resp):
    return resp.get_data(as_text=True)


def _shift_report_of_s001(client, session, station):
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    shift = session.scalar(select(Shift))
    assert client.post("/cashier/shift/close", data={"count_10000": "2"}).status_code in (200, 303)
    assert client.post(f"/cashier/shifts/{shift.id}/print").status_code == 303
    return session.scalar(select(PrintJob).where(PrintJob.kind == "shift"))


def test_a_cashier_cannot_read_or_reprint_another_cashiers_shift_report(client, session, station):
    job = _shift_report_of_s001(client, session, station)
    assert job is not None and "交班报表" in text(client.get(f"/printers/jobs/{job.id}"))  # its own: yes
    login_as(client, "S002")
    resp = client.get(f"/printers/jobs/{job.id}")
    assert resp.status_code == 403 and "交班报表" not in text(resp) and "应有现金" not in text(resp)
    before = session.scalar(select(db.func.count(PrintJob.id)))
    assert client.post(f"/printers/jobs/{job.id}/reprint").status_code == 403
    assert client.post(f"/printers/jobs/{job.id}/retry").status_code == 403
    session.expire_all()
    assert session.scalar(select(db.func.count(PrintJob.id))) == before  # nothing queued
    assert f"/printers/jobs/{job.id}\"" not in text(client.get("/printers/jobs"))
    login_as(client, "M001")  # the manager sees every job
    assert client.get(f"/printers/jobs/{job.id}").status_code == 200


def test_the_z_report_and_test_pages_are_the_managers(client, session):
    manager = staff_by_no("M001")
    printer = Printer(name="后台", connector="file", address="/dev/null", paper_mm=80, is_default=True)
    session.add(printer)
    session.flush()
    z = services.enqueue(session, Document(blocks=[Text("Z 报表 营业额 ￥9,999.00")]), kind="z", title="Z 报表 Z0001",
                         requested_by=manager)
    test = services.enqueue(session, Document(blocks=[Text("打印测试")]), kind="test", title="打印测试",
                            requested_by=manager)
    receipt = services.enqueue(session, Document(blocks=[Text("收款收据")]), kind="receipt", title="收款收据 V1",
                               requested_by=staff_by_no("S001"))
    session.commit()
    login_as(client, "S002")
    for job in (z, test):
        assert client.get(f"/printers/jobs/{job.id}").status_code == 403
        assert client.post(f"/printers/jobs/{job.id}/reprint").status_code == 403
    body = text(client.get("/printers/jobs"))
    assert "Z 报表" not in body and "打印测试" not in body and "收款收据 V1" in body
    # the cash desk's own documents stay shared between cashiers (a reprint for a customer)
    assert client.get(f"/printers/jobs/{receipt.id}").status_code == 200
    assert client.post(f"/printers/jobs/{receipt.id}/reprint").status_code == 303
    login_as(client, "M001")
    assert "Z 报表" in text(client.get(f"/printers/jobs/{z.id}"))


def test_the_rule_as_a_query_matches_the_rule_per_job(session):
    manager, s1, s2 = staff_by_no("M001"), staff_by_no("S001"), staff_by_no("S002")
    jobs = [services.enqueue(session, Document(blocks=[Text(kind)]), kind=kind, requested_by=who)
            for kind in ("voucher", "receipt", "refund", "invoice", "slip", "shift", "z", "test", "agreement")
            for who in (manager, s1, s2)]
    session.commit()
    for viewer in (manager, s1, s2, staff_by_no("C001")):
        listed = {j.id for j in services.recent_jobs(session, limit=500, viewer=viewer)}
        assert listed == {j.id for j in jobs if services.may_see(j, viewer)}, viewer.staff_no
    assert not services.may_see(jobs[15 + 1], s2) and services.may_see(jobs[15 + 1], s1)  # S001's shift report
