"""A queued job wakes the spooler: it is printed well under the poll interval (SQLite: a
datagram to instance/spooler.sock after the queuing transaction commits; PostgreSQL: NOTIFY)."""

from __future__ import annotations

import threading
import time

from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer
from pos.printers.wakeup import Wakeup, socket_path
from printing.documents import Cut, Document, Text
from printing.escpos import decode_text
from tests.printers.fake_printer import FakePrinter, free_port

POLL = 5.0  # seconds: far longer than the wake-up may take


def _time_to_print(app, session, *, rollback_first=False) -> float:
    port = free_port()
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{port}", paper_mm=80)
    session.add(printer)
    session.commit()
    wake = Wakeup(database_url=app.config["SQLALCHEMY_DATABASE_URI"], instance_path=app.instance_path)
    stop = threading.Event()
    fake = FakePrinter(port).start()

    def spool():
        with app.app_context():
            services.run_worker(lambda: db.session, stop=stop, poll=POLL, wake=wake)

    worker = threading.Thread(target=spool, daemon=True)
    worker.start()
    try:
        time.sleep(1.0)  # the spooler found nothing and waits (up to POLL seconds)
        if rollback_first:  # a job queued by a request that was then refused wakes nobody for nothing
            services.enqueue(session, Document(blocks=[Text("作废")]), kind="receipt", printer=printer)
            session.rollback()
        started = time.monotonic()
        services.enqueue(session, Document(blocks=[Text("收据 快"), Cut()]), kind="receipt", printer=printer)
        session.commit()
        while not fake.received and time.monotonic() - started < POLL * 2:
            time.sleep(0.01)
        took = time.monotonic() - started
        assert len(fake.received) == 1 and "收据 快" in decode_text(fake.received[0])
        return took
    finally:
        stop.set()
        worker.join(POLL + 5)
        wake.close()
        fake.stop()


def test_a_queued_job_wakes_the_spooler_on_sqlite(app, session):
    took = _time_to_print(app, session, rollback_first=True)
    assert took < 0.5, took  # not the 5 s poll
    assert not socket_path(app.instance_path).exists()  # removed when the spooler stops


def test_a_second_spooler_does_not_steal_the_first_ones_socket(app):
    first = Wakeup(database_url=app.config["SQLALCHEMY_DATABASE_URI"], instance_path=app.instance_path)
    second = Wakeup(database_url=app.config["SQLALCHEMY_DATABASE_URI"], instance_path=app.instance_path)
    try:
        assert first.sock is not None and second.sock is None  # the second polls
        first.wait(0)  # drain the second's probe
        from pos.printers.wakeup import poke

        assert poke(socket_path(app.instance_path)) and first.wait(1.0)
    finally:
        second.close()
        first.close()
