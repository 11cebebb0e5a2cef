"""The spooler survives the database: a long write holding SQLite's lock, a database that goes
away. It retries with back-off and never exits; reconcile() takes the write lock before it reads;
it leaves a heartbeat, and the cash desk's badge says when it has not been seen for 30 s."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pos.dbtypes import utcnow
from pos.extensions import db
from pos.printers import services
from pos.printers.models import Printer, PrintJob
from printing.documents import Cut, Document, Text
from printing.escpos import decode_text
from tests.conftest import login_as
from tests.printers.fake_printer import FakePrinter, free_port


def impatient_sessions(app):
    """Sessions on one SQLite connection that waits only 50 ms for a lock (the app waits 30 s),
    so "database is locked" comes at once."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout=50")
    return engine, lambda: Session(engine)


def hold_write_lock(app) -> sqlite3.Connection:
    """Another process's long write (a catalogue import): BEGIN IMMEDIATE and keep it."""
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def hold_write_lock_for(app, seconds: float) -> threading.Thread:
    """The same, released after ``seconds`` (in a thread of its own)."""
    taken = threading.Event()

    def hold():
        holder = hold_write_lock(app)
        taken.set()
        time.sleep(seconds)
        holder.execute("ROLLBACK")
        holder.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    taken.wait(5)
    return thread


def test_a_locked_database_does_not_stop_the_spooler(app, session, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("pos.print"), "disabled", False)  # Alembic's fileConfig disables it
    port = free_port()
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{port}", paper_mm=58)
    session.add(printer)
    session.flush()
    job = services.enqueue(session, Document(blocks=[Text("收据 第1张"), Cut()]), kind="receipt", printer=printer)
    session.commit()
    job_id = job.id
    engine, factory = impatient_sessions(app)
    holder = hold_write_lock(app)
    stop = threading.Event()
    fake = FakePrinter(port).start()
    caplog.set_level(logging.WARNING, logger="pos.print")
    worker = threading.Thread(target=services.run_worker, args=(factory,), kwargs={"stop": stop, "poll": 0.05},
                              daemon=True)
    try:
        worker.start()
        time.sleep(1.5)  # the lock is held: every claim fails with "database is locked"
        assert worker.is_alive(), "the spooler exited on a database error"
        assert any("database is locked" in r.getMessage() for r in caplog.records)
        assert fake.received == []
        holder.execute("ROLLBACK")  # the long write ends
        deadline = time.monotonic() + 10
        while not fake.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.received) == 1 and "收据 第1张" in decode_text(fake.received[0])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(PrintJob, job_id).status == "done":
                break
            time.sleep(0.05)
        assert db.session.get(PrintJob, job_id).status == "done"
        assert worker.is_alive()
    finally:
        stop.set()
        worker.join(5)
        fake.stop()
        holder.close()
        engine.dispose()
    assert not worker.is_alive()


def test_the_outcome_of_a_printed_job_is_recorded_through_database_errors(app, session, monkeypatch):
    """The paper is out: a failing commit of "done" is retried, the job is never left 'printing'."""
    port = free_port()
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{port}", paper_mm=80)
    session.add(printer)
    session.flush()
    job = services.enqueue(session, Document(blocks=[Text("一张"), Cut()]), kind="receipt", printer=printer)
    session.commit()
    engine, factory = impatient_sessions(app)
    spooler = factory()
    holders = []
    real_send = services.send

    def send_then_lock(j):
        real_send(j)
        holders.append(hold_write_lock_for(app, 0.6))  # a write takes the lock right after the paper came out

    monkeypatch.setattr(services, "send", send_then_lock)
    fake = FakePrinter(port).start()
    try:
        assert services.work_one(spooler).id == job.id
    finally:
        fake.stop()
        spooler.close()
        engine.dispose()
        for h in holders:
            h.join(5)
    assert len(holders) == 1 and len(fake.received) == 1
    db.session.expire_all()
    assert db.session.get(PrintJob, job.id).status == "done"


def test_reconcile_takes_the_write_lock_before_it_reads(app, session):
    job = services.enqueue(session, Document(blocks=[Text("x")]), kind="receipt",
                           printer=Printer(name="p", connector="file", address="/dev/null"))
    job.status = "printing"
    session.commit()
    engine, factory = impatient_sessions(app)
    statements: list[str] = []
    # what reaches SQLite itself (the spooler's BEGIN IMMEDIATE is sent on the raw connection)
    engine.raw_connection().driver_connection.set_trace_callback(
        lambda sql: sql.startswith("PRAGMA") or statements.append(" ".join(sql.split()[:2]).upper()))
    spooler = factory()
    try:
        assert services.reconcile(spooler) == 1
    finally:
        spooler.close()
        engine.dispose()
    assert statements[0] == "BEGIN IMMEDIATE" and statements[1].startswith("SELECT"), statements
    db.session.expire_all()
    assert db.session.get(PrintJob, job.id).status == "failed"
    # while another write holds the lock, reconcile waits for it instead of reading first and
    # failing to upgrade its read to a write half-way ("database is locked" mid-reconcile)
    holder = hold_write_lock(app)
    engine, factory = impatient_sessions(app)
    spooler = factory()
    try:
        with pytest.raises(Exception, match="locked"):
            services.reconcile(spooler)
        assert not spooler.in_transaction() or spooler.rollback() is None
    finally:
        spooler.close()
        engine.dispose()
        holder.close()


@pytest.mark.parametrize("lang", ["zh"])
def test_the_badge_says_when_the_spooler_is_silent(client, session, station, lang):
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    badge = client.get("/printers/status").get_data(as_text=True)
    assert "打印服务" not in badge  # only the on-screen preview: no spooler needed
    session.add(Printer(name="一号机", connector="network", address="127.0.0.1:9", station_id=station.id))
    session.commit()
    badge = client.get("/printers/status").get_data(as_text=True)
    assert "打印服务未运行" in badge and "一号机：" in badge and "bad" in badge
    services.heartbeat(session, now=utcnow() - timedelta(seconds=45))
    services.enqueue(session, Document(blocks=[Text("收据")]), kind="receipt", station_id=station.id)
    session.commit()
    badge = client.get("/printers/status").get_data(as_text=True)
    assert "打印服务已 45 秒无响应" in badge or "打印服务已 46 秒无响应" in badge
    assert "1 个任务在等待" in badge
    services.heartbeat(session)
    badge = client.get("/printers/status").get_data(as_text=True)
    assert "打印服务" not in badge and "正常" in badge
    # the spooler leaves its heartbeat as it runs
    services.heartbeat(session, now=utcnow() - timedelta(minutes=5))
    services.run_worker(lambda: db.session, once=True)
    assert services.spooler_silent_for(session) is None


def test_the_badge_of_a_station_with_a_real_printer_does_not_ask_whether_one_exists(session, station):
    """The badge read its station's printer already: a real one answers "is a spooler needed?". A
    station showing the on-screen preview still asks (another station's printer needs the spooler)."""
    from tests.helpers import statements

    elsewhere = Printer(name="二号机", connector="network", address="127.0.0.1:9")
    session.add(elsewhere)
    session.commit()
    with statements() as sent:
        shown = services.badge(session, station.id)
    assert shown["printer"] is None and shown["spooler_silent"] == -1  # the preview; 二号机 needs a spooler
    assert [q for q, _ in sent if "connector !=" in q]
    session.add(Printer(name="一号机", connector="network", address="127.0.0.1:9", station_id=station.id))
    session.commit()
    with statements() as sent:
        shown = services.badge(session, station.id)
    assert shown["printer"].name == "一号机" and shown["spooler_silent"] == -1
    assert not [q for q, _ in sent if "connector !=" in q]


def test_queueing_from_a_screen_leaves_the_commit_to_the_requests_transaction(app, session):
    """A print button's service queues in the caller's transaction: a request refused after it
    (rolled back by web.transaction) leaves no job behind, and nothing else is committed early."""
    before = session.scalar(select(db.func.count(PrintJob.id)))
    with app.test_request_context("/"):
        job = services.queue_from_screen(session, [(Document(blocks=[Text("收据")]), "收据")], kind="receipt",
                                         ref="V1", requested_by=None)
        assert job.id is not None and session().in_transaction()
        session.rollback()
    assert session.scalar(select(db.func.count(PrintJob.id))) == before


def test_an_unexpected_error_does_not_end_the_spooler(app, session, monkeypatch):
    port = free_port()
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{port}", paper_mm=80)
    session.add(printer)
    session.flush()
    services.enqueue(session, Document(blocks=[Text("终于"), Cut()]), kind="receipt", printer=printer)
    session.commit()
    real_claim, calls = services.claim_next, []

    def flaky_claim(s):
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError("a bug somewhere")
        return real_claim(s)

    monkeypatch.setattr(services, "claim_next", flaky_claim)
    stop = threading.Event()
    fake = FakePrinter(port).start()

    def spool():
        with app.app_context():
            services.run_worker(lambda: db.session, stop=stop, poll=0.05)

    worker = threading.Thread(target=spool, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not fake.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive() and len(fake.received) == 1
    finally:
        stop.set()
        worker.join(5)
        fake.stop()


def test_the_spooler_takes_the_write_lock_the_moment_it_is_free(app, session):
    """SQLite's own busy handler sleeps up to 100 ms between tries while the lock is held; the spooler
    asks every millisecond instead (pos._begin_eagerly), so a receipt queued behind the tablets'
    writes is claimed as soon as the write before it ends."""
    printer = Printer(name="前台", connector="network", address=f"127.0.0.1:{free_port()}", paper_mm=80)
    session.add(printer)
    session.flush()
    for n in range(5):
        services.enqueue(session, Document(blocks=[Text(f"第{n}张"), Cut()]), kind="receipt", printer=printer)
    session.commit()
    spooler = db.session  # the app's own sessions: a 30 s busy timeout
    waits = []
    for _ in range(5):
        released, taken = {}, threading.Event()

        def hold(released=released, taken=taken):
            holder = hold_write_lock(app)
            taken.set()
            time.sleep(0.35)  # long enough for SQLite's handler to be sleeping 100 ms a try
            holder.execute("ROLLBACK")
            released["at"] = time.monotonic()
            holder.close()

        thread = threading.Thread(target=hold, daemon=True)
        thread.start()
        taken.wait(5)
        job = services.claim_next(spooler)
        waits.append(time.monotonic() - released["at"])
        thread.join(5)
        assert job is not None and job.status == "printing"
    waits.sort()
    assert waits[2] < 0.025, waits  # the median: ≈ 1 ms (SQLite's handler: ≈ 50 ms)
