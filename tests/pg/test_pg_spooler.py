"""PostgreSQL: spoolers side by side (several showrooms on one database). Every job prints
exactly once, and a spooler starting while another prints does not mark the other's job as
interrupted (the printing spooler holds its job's row lock; reconcile skips locked rows)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from printing.documents import Cut, Document, Text
from printing.escpos import decode_text
from tests.printers.fake_printer import FakePrinter, free_port

pytestmark = pytest.mark.pg


def test_three_spoolers_print_every_job_once(pg_app):
    port = free_port()
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{port}", paper_mm=80)
    db.session.add(printer)
    db.session.commit()
    fake = FakePrinter(port).start()
    try:
        for round_no in range(20):
            for n in range(6):
                services.enqueue(db.session, Document(blocks=[Text(f"R{round_no}-J{n}"), Cut()]), kind="receipt",
                                 printer=printer)
            db.session.commit()
            barrier = threading.Barrier(3)

            def spool(barrier=barrier):
                with pg_app.app_context():
                    barrier.wait()
                    while services.work_one(db.session) is not None:
                        pass
                    db.session.remove()

            threads = [threading.Thread(target=spool) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
    finally:
        fake.stop()
    printed = sorted(decode_text(d).strip().splitlines()[0] for d in fake.received)
    assert printed == sorted(f"R{r}-J{n}" for r in range(20) for n in range(6))  # each once
    db.session.expire_all()
    assert {j.status for j in db.session.scalars(select(PrintJob))} == {"done"}


def test_a_starting_spooler_leaves_another_spoolers_job_alone(pg_app, monkeypatch):
    printer = Printer(name="前台", connector="file", address="/dev/null", paper_mm=80)
    db.session.add(printer)
    db.session.flush()
    alive = services.enqueue(db.session, Document(blocks=[Text("在打")]), kind="receipt", printer=printer)
    dead = services.enqueue(db.session, Document(blocks=[Text("崩溃时在打")]), kind="receipt", printer=printer)
    dead.status = "printing"  # a spooler died while sending it
    dead.next_attempt_at = alive.next_attempt_at
    db.session.commit()
    sending, release = threading.Event(), threading.Event()
    real_send = services.send

    def slow_send(job):
        sending.set()
        release.wait(10)
        real_send(job)

    monkeypatch.setattr(services, "send", slow_send)
    outcome = {}

    def first_spooler():
        with pg_app.app_context():
            outcome["job"] = services.work_one(db.session).id
            db.session.remove()

    worker = threading.Thread(target=first_spooler)
    worker.start()
    assert sending.wait(10)
    with pg_app.app_context():  # a second spooler starts now
        assert services.reconcile(db.session) == 1  # the dead one only
        db.session.remove()
    release.set()
    worker.join(10)
    db.session.expire_all()
    assert outcome["job"] == alive.id
    assert db.session.get(PrintJob, alive.id).status == "done"
    assert db.session.get(PrintJob, dead.id).status == "failed"
