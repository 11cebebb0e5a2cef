"""The print queue and the spooler against a real TCP listener on loopback."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.dbtypes import utcnow
from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from printing import connectors
from printing.documents import Cut, Document, Text
from printing.escpos import decode_text
from tests.conftest import staff_by_no
from tests.printers.fake_printer import FakePrinter, free_port


def net_printer(session, port):
    printer = Printer(name="前台打印机", connector="network", address=f"127.0.0.1:{port}", paper_mm=80)
    session.add(printer)
    session.commit()
    return printer


def doc(n):
    return Document(blocks=[Text(f"收据 第{n}张"), Cut()])


def due_now(session):
    session.query(PrintJob).filter(PrintJob.status == "queued").update({"next_attempt_at": utcnow()})
    session.commit()


def test_without_printers_jobs_go_to_the_preview(session):
    job = services.enqueue(session, doc(1), kind="test", title="t")
    assert job.printer.connector == "preview" and job.status == "done"


def test_offline_then_online_every_job_arrives_exactly_once(session):
    port = free_port()
    printer = net_printer(session, port)
    jobs = [services.enqueue(session, doc(n), kind="receipt", title=f"收据{n}", printer=printer) for n in range(5)]
    session.commit()
    # the printer is off: nothing is lost, every job waits with the error visible
    for _ in jobs:
        services.work_one(session)
    session.expire_all()
    assert {j.status for j in jobs} == {"queued"}
    assert all("cannot reach printer" in j.last_error and j.attempts == 1 for j in jobs)
    assert len(services.problems(session, printer)) == 5
    # the printer comes back; the spooler catches up
    fake = FakePrinter(port).start()
    try:
        due_now(session)
        handled = 0
        while services.work_one(session) is not None:
            handled += 1
        assert handled == 5
    finally:
        fake.stop()
    texts = sorted(decode_text(data) for data in fake.received)
    assert len(fake.received) == 5
    assert [t.strip().splitlines()[-1] for t in texts] == [f"收据 第{n}张" for n in range(5)]
    session.expire_all()
    assert {j.status for j in jobs} == {"done"} and all(j.printed_at for j in jobs)
    assert services.work_one(session) is None  # nothing printed twice


def test_back_off_waits_before_trying_again(session):
    printer = net_printer(session, free_port())
    job = services.enqueue(session, doc(1), kind="receipt", printer=printer)
    session.commit()
    services.work_one(session)
    session.refresh(job)
    assert job.next_attempt_at > utcnow() + timedelta(seconds=1)
    assert services.work_one(session) is None  # not due yet


def test_a_crash_while_printing_is_not_resent(session):
    port = free_port()
    printer = net_printer(session, port)
    job = services.enqueue(session, doc(1), kind="receipt", printer=printer)
    job.status = "printing"  # the spooler died between marking and finishing
    session.commit()
    job_id = job.id
    fake = FakePrinter(port).start()
    try:
        assert services.run_worker(lambda: db.session, once=True) == 0
    finally:
        fake.stop()
    job = db.session.get(PrintJob, job_id)
    assert job.status == "failed" and "interrupted" in job.last_error and fake.received == []


def test_connection_broken_mid_job_needs_a_person(session, monkeypatch):
    printer = net_printer(session, free_port())
    job = services.enqueue(session, doc(1), kind="receipt", printer=printer)
    session.commit()

    class Broken:
        def send(self, data):
            raise connectors.MaybeSent("connection reset while printing")

    monkeypatch.setattr(services, "make_connector", lambda *a, **k: Broken())
    services.work_one(session)
    session.refresh(job)
    assert job.status == "failed" and "reset" in job.last_error
    assert services.work_one(session) is None  # not retried by itself
    services.retry(session, job, actor=staff_by_no("S001"))
    assert job.status == "queued"


def test_reprints_are_marked_and_counted(session):
    port = free_port()
    printer = net_printer(session, port)
    original = services.enqueue(session, doc(1), kind="receipt", title="收据", printer=printer)
    session.commit()
    first = services.reprint(session, original, requested_by=staff_by_no("S001"))
    second = services.reprint(session, first, requested_by=staff_by_no("S001"))
    session.commit()
    assert (first.reprint_no, second.reprint_no) == (1, 2)
    assert second.reprint_of_id == original.id
    fake = FakePrinter(port).start()
    try:
        while services.work_one(session) is not None:
            pass
    finally:
        fake.stop()
    texts = [decode_text(d) for d in fake.received]
    assert sum("重印 COPY" in t for t in texts) == 2 and "重印 COPY 2" in texts[-1]


def test_save_printer_validation(session):
    manager = staff_by_no("M001")
    with pytest.raises(services.DomainError):
        services.save_printer(session, None, name="", connector="network", address="1.2.3.4", paper_mm=80,
                              native_qr=True, encoding="gb18030", station_id=None, is_default=False, active=True,
                              actor=manager)
    with pytest.raises(services.DomainError):
        services.save_printer(session, None, name="p", connector="network", address="", paper_mm=80,
                              native_qr=True, encoding="gb18030", station_id=None, is_default=False, active=True,
                              actor=manager)
    with pytest.raises(services.DomainError):
        services.save_printer(session, None, name="p", connector="usb", address="/dev/usb/lp0", paper_mm=72,
                              native_qr=True, encoding="gb18030", station_id=None, is_default=False, active=True,
                              actor=manager)
    p = services.save_printer(session, None, name="p", connector="file", address="/tmp/p.bin", paper_mm=58,
                              native_qr=False, encoding="gbk", station_id=None, is_default=True, active=True,
                              actor=manager)
    assert services.printer_for(session, None) == p
    assert session.scalar(select(func.count(Printer.id))) == 1
