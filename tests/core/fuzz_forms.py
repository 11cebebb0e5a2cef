"""The fuzz test's machinery (used by tests/core/test_fuzz_forms.py on SQLite and
tests/pg/test_pg_fuzz.py on PostgreSQL): every POST route in the url_map, posted by a member
of staff who holds its role, with values of the wrong type, size and script; the answer is
never a 5xx, and a 4xx saves no row in any table."""

from __future__ import annotations

import inspect
import io
import re
import sys
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pos.customers import services as customers
from pos.extensions import db
from pos.staff.permissions import ANY_STAFF, PUBLIC

#: what a hostile tablet (or a pasted text) sends
NASTY = [
    "", " ", "0", "-1", "1.5", "²", "٣", "١٣٨٠٠١٣٨٠٠١", "１２３", "१२", "+86 138-0013-8001", "99999999999999999999",
    "1e30", "-1e30", "NaN", "Infinity", "-0", "0x10", "1_000", "1,000,000.001", "\x00", "a\x00b", "\x1b@",
    "\x1dV\x00", "\x10\x14", "\x9b", "\u202e", "😀" * 3, "x" * 10_000, "长" * 300, "0001-01-01", "9999-12-31",
    "2026-02-30", "<script>alert(1)</script>", "'; DROP TABLE staff;--", "%s%n", "../../etc/passwd", "\r\n", "true",
    "on",
    # just over the database's column sizes (String(20/40/60/100/200)): PostgreSQL refuses, SQLite stores
    "长" * 21, "长" * 41, "长" * 61, "x" * 101, "y" * 201, "长" * 399,
]
#: typed text without control characters (those are refused for the whole request, before any view, so
#: they get a branch of their own and the other values reach the forms' parsing)
TYPED = st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), max_size=40)
CONTROL = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=4)
VALUES = st.one_of(
    st.sampled_from(NASTY),
    TYPED,
    TYPED,
    TYPED,
    st.tuples(TYPED, CONTROL).map("".join),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=12),
)
PATH_TEXT = st.one_of(st.sampled_from(["x", "²", "0001-01-01", "9999-12-31", "2026-13", "V1", "FP2026-000001",
                                       "9" * 25, "-1", "%00", "😀"]),
                      st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=20))
#: login of the person holding each role (tests/conftest.py's demo staff)
BY_ROLE = {"clerk": "C001", "cashier": "S001", "manager": "M001", "delivery": "D001"}
FIELD_RE = re.compile(r"""(?:form|args|files)\s*\.\s*(?:get|getlist)\(\s*f?["']([A-Za-z_][\w{}.]*)["']"""
                      r"""|^\s+([a-z_][a-z0-9_]*)\s*=\s*\w*Field\(""", re.M)
EXPAND = {
    "{d}": ["10000", "5000", "100"], "{_d}": ["10000", "100"], "{denomination}": ["10000"],
    "{line.id}": ["1", "2"], "{line_id}": ["1"], "{kind}": ["card", "cheque", "wechat"],
}
EXTRA = ["count_10000", "count_100", "rej_10000", "rej_reason_10000", "cash_amount", "card_amount", "card_ref",
         "cheque_amount", "cheque_ref", "cheque_bank", "cheque_drawer", "qty_1", "once_key", "csrf_token"]
FILES = {"picture", "file"}


def rightful_login(declared) -> str | None:
    """The staff number to log in as for a route's declared roles (None: stay anonymous)."""
    if declared == PUBLIC:
        return None
    if declared == ANY_STAFF:
        return "C001"
    for role in ("clerk", "cashier", "delivery", "manager"):  # the narrowest holder first
        if role in declared:
            return BY_ROLE[role]
    return "M001"


def field_names(view) -> list[str]:
    """Field names the route's module (and its package's forms.py) reads; f-strings expanded."""
    view = inspect.unwrap(view)
    module = sys.modules[view.__module__]
    sources = [inspect.getsource(module)]
    forms = Path(inspect.getfile(module)).with_name("forms.py")
    if forms.exists():
        sources.append(forms.read_text(encoding="utf-8"))
    names: set[str] = set()
    for source in sources:
        for m in FIELD_RE.finditer(source):
            name = m.group(1) or m.group(2)
            for key, values in EXPAND.items():
                if key in name:
                    names.update(name.replace(key, v) for v in values)
                    break
            else:
                if "{" not in name:
                    names.add(name)
    return sorted(names | set(EXTRA))


def post_routes(app) -> list:
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and r.endpoint != "static"]
    return sorted(rules, key=lambda r: r.rule)


def row_counts() -> dict[str, int]:
    """Rows in every table, read through a connection of its own (what is committed)."""
    tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
    query = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
    with db.engine.connect() as conn:
        row = conn.execute(query).one()
    return dict(row._mapping)


#: facts a refused request keeps on purpose (pos.tx.keep_after_rollback): failed PIN attempts, throttles
KEPT_ON_REFUSAL = re.compile(r"attempt|throttle|lockout|failure", re.I)


def path_strategy(rule, known_ids: dict[str, list[int]], known_text: dict[str, list[str]]):
    """Values for the rule's URL arguments: known rows mostly, hostile ones too."""
    parts = {}
    for arg, converter in rule._converters.items():
        if type(converter).__name__ == "IntegerConverter":
            parts[arg] = st.one_of(st.sampled_from(known_ids.get(arg) or [1]), st.sampled_from([0, 2**31, 10**20]),
                                   st.integers(0, 10**22))
        else:
            parts[arg] = st.one_of(st.sampled_from(known_text.get(arg) or ["x"]), PATH_TEXT)
    return st.fixed_dictionaries(parts)


def build_url(rule, args: dict) -> str:
    url = rule.rule
    for arg, value in args.items():
        url = re.sub(r"<(?:[a-z]+:)?" + re.escape(arg) + r">", quote(str(value), safe=""), url)
    return url


def fuzz_route(app, client, rule, *, examples: int, known_ids=None, known_text=None, login=None) -> None:
    """Post ``examples`` generated forms to ``rule`` as its rightful role: no 5xx, a 4xx saves nothing."""
    view = app.view_functions[rule.endpoint]
    declared = getattr(view, "pos_roles", None)
    names = field_names(view)
    staff_no = rightful_login(declared)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(args=path_strategy(rule, known_ids or {}, known_text or {}),
           form=st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=4),
           junk=st.binary(max_size=64))
    def run(args, form, junk):
        if login is not None:
            login(client, staff_no)
        data = {k: v for k, v in form.items() if k not in FILES}
        for k in FILES & form.keys():
            data[k] = (io.BytesIO(junk + form[k].encode("utf-8", "surrogatepass")), "x.png")
        url = build_url(rule, args)
        before = row_counts()
        resp = client.post(url, data=data, content_type="multipart/form-data")
        assert resp.status_code < 500, (url, data, resp.status_code, resp.get_data(as_text=True)[:2000])
        if 400 <= resp.status_code < 500:
            after = row_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]
                       and not KEPT_ON_REFUSAL.search(t)}
            assert not changed, (url, data, resp.status_code, changed)
        db.session.rollback()  # the test's view of the database starts fresh for the next example

    run()


def history(session) -> None:
    """An open shift, a paid voucher for a known customer and a written-up one (as in tests/conftest.py),
    so that most examples reach the forms' parsing rather than "open your shift first"."""
    from pos.cashier import services as cashier
    from pos.catalog.models import Product
    from pos.sales import services as sales
    from pos.shop.models import Station
    from tests.conftest import staff_by_no

    manager = staff_by_no("M001")
    product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
    station = session.scalar(select(Station).where(Station.code == "T1"))
    cashier.open_shift(session, cashier=staff_by_no("S001"), station_id=station.id, counts={10000: 2, 1000: 5})
    vouchers = []
    for _ in range(2):
        v = sales.open_draft(session, manager)
        sales.add_line(session, v, product.id, "1", "1130.00", actor=manager)
        sales.write_up(session, v, actor=manager)
        vouchers.append(v)
    session.commit()
    paid = vouchers[0]
    paid.customer = customers.find_customer(session, "13800138001")
    paid.customer_name, paid.customer_phone = paid.customer.name, paid.customer.phone
    paid.checksum = sales.compute_checksum(paid)
    cashier.take_payment(session, paid.no, cashier=staff_by_no("S001"), once_key=f"k-{paid.no}",
                         plain_cash=str(paid.total))
    session.commit()


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


ARG_RE = re.compile(r"""args\s*\.\s*(?:get|getlist)\(\s*["']([A-Za-z_]\w*)["']|day_arg\(\s*["']([A-Za-z_]\w*)["']""")


def query_names(view) -> list[str]:
    """Query arguments the route's module reads (``request.args.get("page")``, ``day_arg("first")``)."""
    source = inspect.getsource(sys.modules[inspect.unwrap(view).__module__])
    names = {m.group(1) or m.group(2) for m in ARG_RE.finditer(source)}
    return sorted(names | {"page", "q", "day", "no"})


def get_routes(app) -> list:
    """Every GET route but static files and PDFs (rendering a PDF takes a second: they take only ids,
    which the address check already bounds)."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"
             and not r.rule.endswith(".pdf")]
    return sorted(rules, key=lambda r: r.rule)


def fuzz_get(app, client, rule, *, examples: int, known_ids=None, known_text=None, login=None) -> None:
    """Open ``rule`` with generated query arguments as its rightful role: never a 5xx, and a GET never writes."""
    view = app.view_functions[rule.endpoint]
    names = query_names(view)
    staff_no = rightful_login(getattr(view, "pos_roles", None))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(args=path_strategy(rule, known_ids or {}, known_text or {}),
           query=st.dictionaries(st.sampled_from(names), VALUES, max_size=3))
    def run(args, query):
        if login is not None:
            login(client, staff_no)
        url = build_url(rule, args)
        before = row_counts()
        resp = client.get(url, query_string=query)
        assert resp.status_code < 500, (url, query, resp.status_code, resp.get_data(as_text=True)[:2000])
        after = row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and not KEPT_ON_REFUSAL.search(t)}
        assert not changed, ("a GET wrote", url, query, resp.status_code, changed)
        db.session.rollback()

    run()
