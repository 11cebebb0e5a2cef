"""Fuzz every form (SQLite): each POST route in the url_map is posted, as a member of staff who
holds its role, values of the wrong type, size and script — NUL and control bytes, full-width,
Arabic-Indic and Devanagari digits, superscripts, huge and negative numbers, NaN, 10,000
characters, emoji — in its fields and its URL. No answer is a 5xx; a 4xx saves no row.
The examples are bounded (derandomized, so a run is repeatable) to keep the run well under two
minutes; tests/pg/test_pg_fuzz.py runs the same on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pos import create_app
from tests.conftest import BASE_CONFIG, login_as
from tests.core.fuzz_forms import fuzz_route, post_routes

EXAMPLES = 6


def _routes():
    app = create_app({**BASE_CONFIG, "DATABASE_URL": "sqlite://", "INSTANCE_PATH": "/tmp/pos-fuzz-routes"})
    return [(r.rule, r.endpoint) for r in post_routes(app)]


ROUTES = _routes()


def known_rows(session) -> tuple[dict, dict]:
    """Real ids and numbers for the URL arguments, so most examples reach the form's parsing."""
    from pos.cashier.models import Payment, Shift, Tender
    from pos.catalog.models import Product
    from pos.clock import local_today
    from pos.delivery.models import DeliveryCash, DispatchSlip
    from pos.invoicing.models import Invoice
    from pos.printers.models import Printer, PrintJob
    from pos.reports.models import ZReport
    from pos.sales.models import Voucher, VoucherLine
    from pos.shop.models import Station
    from pos.staff.models import Staff

    def ids(model):
        return list(session.scalars(select(model.id).order_by(model.id).limit(5))) or [1]

    ids_by_arg = {
        "staff_id": ids(Staff), "product_id": ids(Product), "voucher_id": ids(Voucher), "line_id": ids(VoucherLine),
        "slip_id": ids(DispatchSlip), "shift_id": ids(Shift), "payment_id": ids(Payment), "tender_id": ids(Tender),
        "printer_id": ids(Printer), "job_id": ids(PrintJob), "station_id": ids(Station), "cash_id": ids(DeliveryCash),
        "no": ids(ZReport),
    }
    numbers = [n for n in session.scalars(select(Voucher.no).where(Voucher.no.is_not(None)).limit(3))]
    numbers += list(session.scalars(select(Invoice.no).limit(2)))
    today = local_today()
    text_by_arg = {"no": numbers or ["V1"], "day": [today.isoformat()], "month": [today.strftime("%Y-%m")],
                   "kind": ["accessory", "alternative"], "what": ["copies", "receipt", "voucher"]}
    return ids_by_arg, text_by_arg


@pytest.fixture
def shop_with_history(app, session, write_up, open_shift, paid):
    """An open shift, a written-up voucher and a paid one (with an invoice-able customer)."""
    paid()
    write_up()
    return known_rows(session)


@pytest.mark.parametrize(("rule", "endpoint"), ROUTES, ids=[r for r, _e in ROUTES])
def test_no_form_answers_5xx_or_saves_on_refusal(app, client, shop_with_history, rule, endpoint):
    ids_by_arg, text_by_arg = shop_with_history
    rule_obj = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule)
    fuzz_route(app, client, rule_obj, examples=EXAMPLES, known_ids=ids_by_arg, known_text=text_by_arg,
               login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)


def test_every_post_route_is_fuzzed():
    assert len(ROUTES) >= 60
