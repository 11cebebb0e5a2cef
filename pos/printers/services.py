"""Printers and the durable print queue: enqueue, the spooler, retries, reprints.

A request only *enqueues* (in its own transaction, so a print never blocks or
undoes a sale); ``pos print-worker`` sends. Safe retries: a printer that is off or
refuses the connection gets the job again later (back-off up to a minute); a
connection that broke mid-job, or a job interrupted by a crash, is set ``failed``
for the cashier to check the paper and retry — never printed twice by itself.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, true, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

from printing.connectors import KINDS as CONNECTOR_KINDS
from printing.connectors import MaybeSent, NotSent, make_connector
from printing.documents import QR, Cut, Document, KeyValue, Separator, Text, Title
from printing.escpos import PrinterProfile, render

from .. import tx
from ..audit.services import record
from ..dbtypes import utcnow
from ..errors import DomainError, Forbidden, get_or_404
from ..text import parse_id
from . import wakeup
from .models import Printer, PrintJob

log = logging.getLogger("pos.print")
PREVIEW_NAME = "屏幕预览"
MAX_BACKOFF = 60


# ------------------------------------------------------------------ printers
def printers(session: Session) -> list[Printer]:
    return list(session.scalars(select(Printer).order_by(Printer.name)))


def get_printer(session: Session, printer_id: int) -> Printer:
    return get_or_404(session, Printer, printer_id, _("No such printer."))


def preview_printer(session: Session) -> Printer:
    """The printer used when none is configured: the receipt is shown on screen."""
    printer = session.scalar(select(Printer).where(Printer.connector == "preview").order_by(Printer.id))
    if printer is None:
        printer = Printer(name=PREVIEW_NAME, connector="preview", paper_mm=80)
        session.add(printer)
        session.flush()
    return printer


def find_printer_for(session: Session, station_id: int | None) -> Printer | None:
    """Read only: the station's printer, else the default printer, else the on-screen preview if it
    exists yet, else None (a screen that only shows the printer never makes one). One statement:
    the three candidates, best first."""
    choices = []
    if station_id:
        choices.append(and_(Printer.active.is_(True), Printer.station_id == station_id))
    choices.append(and_(Printer.active.is_(True), Printer.is_default.is_(True)))
    rank = case(*[(choice, i) for i, choice in enumerate(choices)], else_=len(choices))
    return session.scalar(select(Printer).where(or_(*choices, Printer.connector == "preview"))
                          .order_by(rank, Printer.id).limit(1))


_PRINTER_FOR = "pos_printer_for"


def printer_for(session: Session, station_id: int | None) -> Printer:
    """The station's printer, else the default printer, else the on-screen preview (made if missing).
    Looked up once per transaction and station: a payment queues its receipt, a print button its
    three copies, each with the printer found first."""
    found = tx.memo(session, _PRINTER_FOR)
    if station_id in found:
        return found[station_id]
    printer = find_printer_for(session, station_id)
    if printer is None:  # no printer at all yet, not even the preview: make it
        printer = Printer(name=PREVIEW_NAME, connector="preview", paper_mm=80)
        session.add(printer)
        session.flush()
    found[station_id] = printer
    return printer


def save_printer(session: Session, printer: Printer | None, *, name: str, connector: str, address: str,
                 paper_mm, native_qr: bool, encoding: str, station_id, is_default: bool, active: bool,
                 actor) -> Printer:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise DomainError(_("A printer needs a name (at most 60 characters)."), field="name")
    if connector not in CONNECTOR_KINDS:
        raise DomainError(_("Choose how the printer is connected."), field="connector")
    address = (address or "").strip()
    try:
        make_connector(connector, address)
    except ValueError:
        raise DomainError(_("This connection needs an address: an IP (192.168.1.50:9100), a device "
                            "(/dev/usb/lp0) or a serial port (/dev/ttyUSB0@9600)."), field="address") from None
    try:
        paper = int(paper_mm)
    except (TypeError, ValueError):
        paper = 0
    if paper not in (58, 80):
        raise DomainError(_("Paper is 58 or 80 mm wide."), field="paper_mm")
    if encoding not in ("gb18030", "gbk"):
        raise DomainError(_("Choose GB18030 or GBK."), field="encoding")
    clash = session.scalar(select(Printer).where(Printer.name == name, Printer.id != (printer.id if printer else 0)))
    if clash is not None:
        raise DomainError(_("A printer called %(name)s exists already.", name=name), field="name")
    if station_id not in (None, ""):
        from ..shop.models import Station  # printers sit beside shop

        chosen = parse_id(station_id)
        if chosen is None or session.get(Station, chosen) is None:
            raise DomainError(_("Choose a cash station from the list (or none)."), field="station")
        station_id = chosen
    else:
        station_id = None
    if station_id:
        other = session.scalar(select(Printer).where(Printer.station_id == station_id,
                                                     Printer.id != (printer.id if printer else 0)))
        if other is not None:
            raise DomainError(_("That station already has the printer %(name)s.", name=other.name), field="station")
    if printer is None:
        printer = Printer(name=name, connector=connector)
        session.add(printer)
    if is_default:
        session.execute(update(Printer).values(is_default=False))
    printer.name, printer.connector, printer.address = name, connector, address
    printer.paper_mm, printer.native_qr, printer.encoding = paper, bool(native_qr), encoding
    printer.station_id, printer.is_default, printer.active = station_id, bool(is_default), bool(active)
    session.flush()
    record(session, "printers.saved", actor=actor, record=printer,
           summary=f"{name}: {connector} {address} {paper} mm")
    return printer


def profile(printer: Printer) -> PrinterProfile:
    return PrinterProfile(paper_mm=printer.paper_mm, native_qr=printer.native_qr, encoding=printer.encoding)


def test_document(printer: Printer) -> Document:
    return Document(blocks=[
        Title("打印测试"), Text(printer.name, align="center"), Separator(),
        KeyValue("纸宽 Paper", f"{printer.paper_mm} mm"), KeyValue("编码 Code page", printer.encoding.upper()),
        Text("中文标点：，。、；：？！“”（）【】"), Text("金额 ￥1,234.50 人民币壹仟贰佰叁拾肆元伍角"),
        QR("TEST-" + printer.name), Cut(),
    ])


# ------------------------------------------------------------------ the queue
def enqueue(session: Session, document: Document, *, kind: str, title: str = "", ref: str = "",
            station_id: int | None = None, printer: Printer | None = None, requested_by=None,
            copies: int = 1) -> PrintJob:
    """Queue a document; the spooler prints it. Returns the job (in the caller's transaction)."""
    printer = printer or printer_for(session, station_id)
    job = PrintJob(printer=printer, kind=kind, title=title[:120], ref=str(ref)[:40],
                   document=json.dumps(document.to_dict(), ensure_ascii=False), copies=max(1, int(copies)),
                   requested_by_id=getattr(requested_by, "id", None), next_attempt_at=utcnow(),
                   status="done" if printer.connector == "preview" else "queued")
    if printer.connector == "preview":
        job.printed_at = utcnow()  # shown on screen: nothing to wait for
    session.add(job)
    session.flush()
    if job.status == "queued":
        wakeup.job_queued(session)  # the spooler prints it as soon as this transaction commits
    return job


#: who may see a print job (its preview, reprint and retry), by what it prints: the cash desk's
#: documents any cashier works with; a shift report (and any kind not named here) the manager and
#: whoever printed it (a cashier may print only their own shift's report); the Z report and test
#: pages the manager only. A domain that prints a new kind of document names it here.
CASH_DESK_KINDS = frozenset({"voucher", "receipt", "refund", "invoice", "slip"})
MANAGER_KINDS = frozenset({"z", "test"})


def may_see(job: PrintJob, staff) -> bool:
    roles = set(getattr(staff, "roles", ()) or ())
    if "manager" in roles:
        return True
    if job.kind in MANAGER_KINDS:
        return False
    if job.kind in CASH_DESK_KINDS:
        return "cashier" in roles
    return job.requested_by_id is not None and job.requested_by_id == getattr(staff, "id", None)


def visible_to(staff):
    """The same rule as :func:`may_see`, as a filter on a query of jobs."""
    roles = set(getattr(staff, "roles", ()) or ())
    if "manager" in roles:
        return true()
    own = and_(PrintJob.kind.not_in(CASH_DESK_KINDS | MANAGER_KINDS), PrintJob.requested_by_id == staff.id)
    return or_(PrintJob.kind.in_(CASH_DESK_KINDS), own) if "cashier" in roles else own


def get_job(session: Session, job_id: int, viewer=None) -> PrintJob:
    """A job by id; with ``viewer``, only one that person may see (else Forbidden)."""
    job = get_or_404(session, PrintJob, job_id, _("No such print job."))
    if viewer is not None and not may_see(job, viewer):
        raise Forbidden(_("This printout is not yours to see: ask the manager."))
    return job


def document_of(job: PrintJob) -> Document:
    return Document.from_dict(json.loads(job.document))


def reprint(session: Session, job: PrintJob, *, requested_by) -> PrintJob:
    """Print a document again; the copy says 重印 / COPY and how many times."""
    original = session.get(PrintJob, job.reprint_of_id) if job.reprint_of_id else job
    session.refresh(original, with_for_update={"of": PrintJob})  # two reprints at once: 重印 1 and 重印 2
    count = session.scalar(select(func.count(PrintJob.id)).where(PrintJob.reprint_of_id == original.id)) or 0
    document = document_of(original)
    document.reprint = count + 1
    new = enqueue(session, document, kind=original.kind, title=original.title, ref=original.ref,
                  printer=original.printer, requested_by=requested_by, copies=1)
    new.reprint_of_id = original.id
    new.reprint_no = count + 1
    record(session, "printers.reprint", actor=requested_by, record=new,
           summary=f"{original.title} (#{original.id}) 重印 {count + 1}")
    return new


def retry(session: Session, job: PrintJob, *, actor) -> PrintJob:
    """Send a waiting or failed job now (the cashier checked the printer)."""
    session.flush()
    session.refresh(job, with_for_update={"of": PrintJob})  # the spooler may be claiming it right now
    if job.status not in ("queued", "failed"):
        raise DomainError(_("Only a waiting or failed job can be sent again."))
    job.status = "queued"
    job.next_attempt_at = utcnow()
    record(session, "printers.retry", actor=actor, record=job, summary=job.title)
    return job


def problems(session: Session, printer: Printer | None = None) -> list[PrintJob]:
    """Jobs that need a person: failed ones, and waiting ones that already failed once."""
    stmt = select(PrintJob).where((PrintJob.status == "failed") | ((PrintJob.status == "queued")
                                                                   & (PrintJob.attempts > 0)))
    if printer is not None:
        stmt = stmt.where(PrintJob.printer_id == printer.id)
    return list(session.scalars(stmt.order_by(PrintJob.id.desc()).limit(50)))


def recent_jobs(session: Session, printer: Printer | None = None, limit: int = 50, viewer=None) -> list[PrintJob]:
    stmt = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
    if printer is not None:
        stmt = stmt.where(PrintJob.printer_id == printer.id)
    if viewer is not None:
        stmt = stmt.where(visible_to(viewer))
    return list(session.scalars(stmt))


# ------------------------------------------------------------------ the spooler
#: the spooler's heartbeat (a row in the settings table): when it was last seen, and where
HEARTBEAT_KEY = "printers.spooler_seen"
HEARTBEAT_EVERY = 5  # seconds between heartbeats
SPOOLER_STALE_AFTER = 30  # the cash desk's badge warns after this many seconds without one
MAX_DB_BACKOFF = 30  # seconds between tries while the database is busy or away


def _write_lock(session: Session) -> None:
    """Start the transaction holding the write lock (SQLite: ``BEGIN IMMEDIATE``), so what is read
    next cannot change before it is written. PostgreSQL locks rows instead (``FOR UPDATE``)."""
    real = session() if isinstance(session, scoped_session) else session
    if session.get_bind().dialect.name == "sqlite" and not real.in_transaction():
        # eager: asked for every millisecond rather than after SQLite's growing sleeps (pos._begin_eagerly)
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE", "sqlite_eager_lock": True})


def reconcile(session: Session) -> int:
    """At start: jobs left ``printing`` by a crash are not sent again blindly. Takes the write lock
    before it reads (a job claimed by another spooler meanwhile is not touched twice). On
    PostgreSQL a spooler holds its job's row lock while it sends, so another spooler starting
    then skips that job (SKIP LOCKED): only a dead spooler's jobs (its lock went with its
    connection) are marked failed."""
    _write_lock(session)
    stmt = select(PrintJob).where(PrintJob.status == "printing")
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=PrintJob)
    rows = list(session.scalars(stmt))
    for job in rows:
        job.status = "failed"
        job.last_error = "interrupted while printing: check the printer, then reprint or retry"
    session.commit()  # the spooler's own transaction
    return len(rows)


def heartbeat(session: Session, *, now=None) -> None:
    """The spooler says it is alive (committed: the spooler owns its transactions)."""
    import os
    import socket

    from ..shop.models import Setting

    now = now or utcnow()
    _write_lock(session)
    value = f"{now.isoformat()} {socket.gethostname()}:{os.getpid()}"[:400]
    row = session.get(Setting, HEARTBEAT_KEY)
    if row is None:
        session.add(Setting(key=HEARTBEAT_KEY, value=value))
    else:
        row.value = value
    session.commit()


def spooler_last_seen(session: Session):
    """When the spooler last said it was alive (UTC), or None if it never ran. Read only."""
    from datetime import datetime

    from ..shop.models import Setting

    row = session.get(Setting, HEARTBEAT_KEY)
    if row is None:
        return None
    try:
        return datetime.fromisoformat(row.value.split(" ", 1)[0])
    except ValueError:
        return None


def spooler_silent_for(session: Session, *, shown: Printer | None = None) -> int | None:
    """Seconds since the spooler was last seen, when that matters: a real printer is configured
    (the on-screen preview needs no spooler) and it has been quiet longer than
    ``SPOOLER_STALE_AFTER`` seconds (-1: never seen). None when all is well. ``shown``: a printer the
    caller already read; when it is a real one there is no need to ask whether one exists."""
    if shown is not None and shown.active and shown.connector != "preview":
        needed = shown.id
    else:
        needed = session.scalar(select(Printer.id).where(Printer.connector != "preview", Printer.active.is_(True))
                                .limit(1))
    if needed is None:
        return None
    seen = spooler_last_seen(session)
    if seen is None:
        return -1
    silent = int((utcnow() - seen).total_seconds())
    return silent if silent > SPOOLER_STALE_AFTER else None


def badge(session: Session, station_id: int | None) -> dict:
    """What the printer badge of a station's cash desk says (templates/printers/_badge.html): its
    printer, the jobs that need attention, whether the spooler is silent and what waits for it. The
    cash desk shows it in its own page; the badge then asks again every 10 s (printers.status)."""
    printer = find_printer_for(session, station_id)
    silent = spooler_silent_for(session, shown=printer)
    return {"printer": printer, "preview_name": PREVIEW_NAME, "problems": problems(session, printer),
            "spooler_silent": silent, "waiting": waiting(session) if silent is not None else 0}


def waiting(session: Session) -> int:
    """Jobs queued for a printer (not yet printed)."""
    return session.scalar(select(func.count(PrintJob.id)).where(PrintJob.status.in_(("queued", "printing")))) or 0


def claim_next(session: Session) -> PrintJob | None:
    """Take the next due job and mark it ``printing`` (committed before anything is sent)."""
    _write_lock(session)  # one spooler claims at a time
    stmt = (select(PrintJob).where(PrintJob.status == "queued", PrintJob.next_attempt_at <= utcnow())
            .order_by(PrintJob.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=PrintJob)
    job = session.scalar(stmt)
    if job is None:
        session.rollback()
        return None
    job.status = "printing"
    job.attempts += 1
    session.commit()
    return job


def send(job: PrintJob) -> None:
    printer = job.printer
    data = render(document_of(job), profile(printer)) * max(1, job.copies)
    make_connector(printer.connector, printer.address).send(data)


def _pause(stop, seconds: float) -> None:
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:  # the connection itself is gone: the pool gives a new one next time
        log.warning("rollback failed; the connection will be replaced", exc_info=True)


def _record_outcome(session: Session, job_id: int, values: dict, stop=None) -> None:
    """Write what happened to a job. The paper is out (or not) whatever the database says, so
    this keeps trying through database errors, with back-off, until it is written (or the
    spooler is told to stop: the job then stays ``printing`` and the next start marks it for a
    person to check)."""
    delay = 0.5
    while True:
        try:
            _write_lock(session)
            session.execute(update(PrintJob).where(PrintJob.id == job_id).values(**values))
            session.commit()
            return
        except DBAPIError as e:
            _rollback_quietly(session)
            if stop is not None and stop.is_set():
                log.error("print job %s: outcome %s not recorded before stopping: %s", job_id, values, e)
                return
            log.warning("print job %s: database error recording %s, again in %.1f s: %s", job_id,
                        values.get("status"), delay, e)
            _pause(stop, delay)
            delay = min(MAX_DB_BACKOFF, delay * 2)


def work_one(session: Session, *, stop=None) -> PrintJob | None:
    """Print one due job, if there is one. Returns it (done, requeued or failed)."""
    job = claim_next(session)
    if job is None:
        return None
    job_id, attempts = job.id, job.attempts
    if session.get_bind().dialect.name == "postgresql":
        # held while sending, released when the outcome is committed: this job is alive
        session.execute(select(PrintJob.id).where(PrintJob.id == job_id).with_for_update())
    try:
        send(job)
    except NotSent as e:  # nothing printed: try again later
        values = {"status": "queued", "last_error": str(e),
                  "next_attempt_at": utcnow() + timedelta(seconds=min(MAX_BACKOFF, 2 ** min(attempts, 6)))}
        log.warning("print job %s waits: %s", job_id, e)
    except MaybeSent as e:  # maybe half printed: a person decides
        values = {"status": "failed", "last_error": str(e)}
        log.error("print job %s failed: %s", job_id, e)
    except DBAPIError as e:  # reading the job's printer failed: nothing was sent
        _rollback_quietly(session)
        values = {"status": "queued", "last_error": f"database: {e.orig or e}"[:500],
                  "next_attempt_at": utcnow() + timedelta(seconds=2)}
        log.warning("print job %s not sent (database): %s", job_id, e)
    except Exception as e:  # a bug or a bad document: keep the job, show the error
        values = {"status": "failed", "last_error": f"{type(e).__name__}: {e}"}
        log.exception("print job %s failed", job_id)
    else:
        values = {"status": "done", "printed_at": utcnow(), "last_error": ""}
    _record_outcome(session, job_id, values, stop)
    session.expire_all()
    return job


def run_worker(session_factory, *, stop=None, poll: float = 0.5, once: bool = False, wake=None) -> int:
    """The spooler loop; ``session_factory()`` gives a session. Returns jobs handled.

    It owns its transactions (the one place in the app that commits by itself). A database error
    — "database is locked" behind a long write, a PostgreSQL restart — never ends it: it rolls
    back, waits (0.5 s doubling to ``MAX_DB_BACKOFF``) and tries again, and says it is alive
    every ``HEARTBEAT_EVERY`` seconds so the cash desk can tell when it is not. ``wake`` (a
    :class:`Wakeup`) ends the wait between polls as soon as a job is queued."""
    session = session_factory()
    handled = 0
    reconciled = False
    last_beat = 0.0
    delay = 0.0
    failures = 0
    try:
        while stop is None or not stop.is_set():
            try:
                if not reconciled:
                    reconcile(session)
                    reconciled = True
                if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                    heartbeat(session)
                    last_beat = time.monotonic()
                job = work_one(session, stop=stop)
            except Exception as e:  # the database above all; never a reason to stop printing
                _rollback_quietly(session)
                failures += 1
                if once and failures >= 5:
                    raise
                delay = min(MAX_DB_BACKOFF, delay * 2 if delay else 0.5)
                if isinstance(e, DBAPIError):
                    log.warning("database error, the spooler tries again in %.1f s: %s", delay, e)
                else:
                    log.exception("spooler error, trying again in %.1f s", delay)
                _pause(stop, delay)
                continue
            delay, failures = 0.0, 0
            if job is not None:
                handled += 1
                continue
            if once:
                break
            if wake is not None:
                wake.wait(poll)
            else:
                _pause(stop, poll)
        return handled
    finally:
        session.close()


def queue_from_screen(session: Session, documents: list[tuple[Document, str]], *, kind: str, ref: str,
                      requested_by, station_id: int | None = None) -> PrintJob:
    """What a print button does: queue each (document, title) in the request's transaction (its
    owner, ``web.transaction``, commits it) and tell the person which printer it went to. Returns
    the last job (for a preview link)."""
    from flask import flash

    job = None
    for document, title in documents:
        job = enqueue(session, document, kind=kind, title=title, ref=ref, station_id=station_id,
                      requested_by=requested_by)
    flash(_("Sent to the printer %(name)s.", name=job.printer.name), "success")
    return job
