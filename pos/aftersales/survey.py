"""The customer's own answer (扫码评价): the receipt carries a QR of ``<shop address>/s/<token>``, a short
public page on the customer's phone asks the satisfaction question once per sale.

The token is the voucher's id signed with HMAC-SHA256 under a key derived from the app's secret key:
nothing is stored, a reprint prints the same QR, and a forged or altered token is not found (404). The
page shows the showroom, the day and what was bought (names and quantities: no prices, no name, no
phone, no voucher number). One answer per sale (the answer's unique subject; a second is refused with
409, nothing saved), whether it came from the phone or from the clerk's return visit. Answers posted
from one address are counted before the token is checked, ``POS_SURVEY_TRIES`` (10) per
``POS_SURVEY_WINDOW_SECONDS`` (600): more are refused with 429. A GET never writes: it only reads the
count and refuses an address over the limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import clock, tx
from ..audit.services import record
from ..cashier import documents as receipts
from ..errors import DomainError, NotFound
from ..sales.models import Voucher, VoucherLine, VoucherStatus
from ..shop import services as shop
from ..staff.models import Staff
from . import visits
from .visit_models import RATINGS, UNSATISFIED, ReturnVisit, SurveyThrottle, voucher_subject

#: the signature's length in bytes (128 bits: guessing is hopeless, and the QR stays small)
SIGNATURE_BYTES = 16
MAX_TOKEN = 40
MAX_BASE_URL = 100


class TooManyTries(DomainError):
    """Too many answers from one address in the window."""

    status = 429

    @staticmethod
    def message_text() -> str:
        return _("Too many answers from this network. Please try again in a few minutes.")


# ------------------------------------------------------------------ the token
def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, b"pos.aftersales.survey", hashlib.sha256).digest()


def _signature(voucher_id: int) -> str:
    mac = hmac.new(_key(), f"survey:{voucher_id}".encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_for(voucher_id: int) -> str:
    return f"{voucher_id}.{_signature(voucher_id)}"


def voucher_id_of(token: str) -> int | None:
    """The voucher id a token was signed for; None for anything forged, altered or malformed."""
    token = (token or "").strip()
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    head, sig = token.split(".")
    if not (head.isascii() and head.isdigit()) or len(head) > 18 or head.startswith("0"):
        return None
    voucher_id = int(head)
    return voucher_id if hmac.compare_digest(sig.encode(), _signature(voucher_id).encode()) else None


# ------------------------------------------------------------------ the shop's address and the receipt
def base_url(session: Session) -> str:
    return shop.get_setting(session, "aftersales.survey_base_url").strip()


def set_base_url(session: Session, value: str) -> str:
    """The address customers' phones reach the shop at (``http://192.168.1.10:8000``); empty: no survey QR."""
    value = (value or "").strip().rstrip("/")
    if value:
        parts = urlsplit(value)
        if (len(value) > MAX_BASE_URL or parts.scheme not in ("http", "https") or not parts.hostname
                or parts.query or parts.fragment or parts.username or parts.password or " " in value):
            raise DomainError(_("The survey address is http:// or https://, the shop's address and port "
                                "(e.g. http://192.168.1.10:8000), at most %(n)d characters.", n=MAX_BASE_URL),
                              field="survey_base_url")
    shop.set_setting(session, "aftersales.survey_base_url", value)
    return value


def survey_url(session: Session, voucher_id: int) -> str | None:
    base = base_url(session)
    return f"{base.rstrip('/')}/s/{token_for(voucher_id)}" if base else None


@receipts.register_receipt_extra
def receipt_blocks(payment) -> list:
    """The payment receipt's survey: a line asking for the answer and the QR (none without the address)."""
    from printing.documents import QR, Separator, Text

    state = inspect(payment, raiseerr=False)  # a receipt laid out from plain data (a preview) has no session
    session = state.session if state is not None else None
    url = survey_url(session, payment.voucher_id) if session is not None and payment.voucher_id else None
    if not url:
        return []
    return [Separator(), Text("扫码评价本次购物，只需十秒", align="center", bold=True), QR(url, size=5)]


# ------------------------------------------------------------------ the throttle
def _limits() -> tuple[int, timedelta]:
    config = current_app.config
    return (int(config.get("POS_SURVEY_TRIES", 10)),
            timedelta(seconds=int(config.get("POS_SURVEY_WINDOW_SECONDS", 600))))


def over_limit(session: Session, client: str) -> bool:
    """Whether this address has used its tries in the running window (reads only: for the GET)."""
    tries, window = _limits()
    row = session.scalar(select(SurveyThrottle).where(SurveyThrottle.client == (client or "")[:64]))
    return row is not None and row.window_start > clock.utcnow() - window and row.tries >= tries


def take_try(session: Session, client: str) -> None:
    """Count one answer posted from ``client`` before anything is checked — kept even when the answer is
    refused (``pos.tx.now``), under the row's lock — and refuse it past the limit."""
    tries, window = _limits()
    client = (client or "")[:64]

    def count(s: Session) -> bool:
        now = clock.utcnow()
        insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
        s.execute(insert(SurveyThrottle).values(client=client, window_start=now, tries=0).on_conflict_do_nothing())
        row = s.scalar(select(SurveyThrottle).where(SurveyThrottle.client == client).with_for_update()
                       .execution_options(populate_existing=True))
        if row.window_start <= now - window:
            row.window_start, row.tries = now, 0
        row.tries += 1
        s.flush()
        return row.tries <= tries

    if not tx.now(session, count):
        raise TooManyTries(TooManyTries.message_text())


# ------------------------------------------------------------------ the page and the answer
@dataclass
class SurveyPage:
    """What the public page shows: nothing that names or reaches the customer, no prices."""

    shop_name: str
    day: date | None
    items: list[tuple[str, str]]  # (product, quantity with its unit)
    answered: bool


def _voucher(session: Session, token: str) -> Voucher:
    voucher_id = voucher_id_of(token)
    voucher = None
    if voucher_id is not None and voucher_id < 2**63:
        voucher = session.scalar(select(Voucher).where(Voucher.id == voucher_id))
    if voucher is None or voucher.status != VoucherStatus.WRITTEN_UP:
        raise NotFound(_("This survey link is not valid. Please scan the QR code on your receipt again."))
    return voucher


def page(session: Session, token: str) -> SurveyPage:
    from ..money import plain_number

    voucher = _voucher(session, token)
    lines = session.scalars(select(VoucherLine).where(VoucherLine.voucher_id == voucher.id)
                            .order_by(VoucherLine.position, VoucherLine.id))
    room = shop.showroom(session)
    return SurveyPage(shop_name=room.name if room is not None else "",
                      day=clock.to_local(voucher.written_up_at).date() if voucher.written_up_at else None,
                      items=[(line.product_name, f"{plain_number(line.quantity)}{line.unit}") for line in lines],
                      answered=visits._answered(session, voucher_subject(voucher.id)) is not None)


def answer(session: Session, token: str, rating: str, comment: str, *, client: str):
    """The customer's answer from their phone. Counted against the address first; then the token, the
    answer, one per sale. An unsatisfied answer about a known customer's sale opens a complaint ticket
    for the person who looks after them (the answer and the ticket name it as the customer's own)."""
    take_try(session, client)
    voucher = _voucher(session, token)  # not locked: the answer's unique subject holds "one per sale"
    rating = (rating or "").strip()
    if rating not in RATINGS:
        raise DomainError(_("Please choose one answer."), field="rating")
    comment = visits._comment(comment)
    subject = voucher_subject(voucher.id)
    # the visit's lock before the answer, as the call takes it (a call and the phone at once: one waits)
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.subject == subject)
                           .with_for_update(of=ReturnVisit).execution_options(populate_existing=True))
    if visit is not None:
        staff_id = visit.staff_id
    elif voucher.customer_id is not None:
        staff_id = visits._caller_for(session, voucher.customer_id, voucher.clerk_id)
    else:
        staff_id = voucher.clerk_id
    saved = visits.save_answer(session, subject=subject, channel="survey", rating=rating, comment=comment,
                               customer_id=voucher.customer_id, voucher_id=voucher.id, ticket_id=None,
                               visit_id=visit.id if visit is not None else None, staff_id=staff_id, recorded_by=None)
    now = clock.utcnow()
    visits.close_for_survey(session, subject, now)
    ticket = None
    if rating == UNSATISFIED and voucher.customer is not None:
        person = session.get(Staff, staff_id)
        ticket = visits.open_complaint(session, saved, customer=voucher.customer, actor=person, source="survey",
                                       source_id=saved.id, heading=_("The customer's own survey: unsatisfied"))
    record(session, "aftersales.survey_answered", actor=None, record=saved,
           summary=f"{voucher.no}: {rating}" + (f", ticket {ticket.no}" if ticket is not None else ""),
           data={"voucher": voucher.no, "rating": rating, "comment": comment})
    return saved
