"""The mortgage calculator screen (房贷计算器) an agent shows a customer, and its A4 print.

Only reads what was typed (GET, nothing stored): loan type (commercial, housing fund or
combined), amounts, annual rates in per cent, term in years, method. The arithmetic is
:mod:`pos.property.mortgage`; a refused input answers 422 with the message and the input kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import nav
from ..errors import DomainError
from ..extensions import htmx
from ..money import amount_in_words
from ..staff.permissions import roles_required
from ..text import parse_decimal, parse_int, plain
from ..web import pdf_response
from . import mortgage

bp = Blueprint("mortgage", __name__, url_prefix="/property")

nav.register(nav.NavItem("mortgage.calculator", _l("Mortgage calculator"), "clerk", icon="cash", order=60,
                         in_header=False))

COMMERCIAL = "commercial"  # 商业贷款
FUND = "fund"  # 公积金贷款
COMBINED = "combined"  # 组合贷款
LOAN_TYPES = {COMMERCIAL: _l("Commercial loan"), FUND: _l("Housing fund loan"), COMBINED: _l("Combined loan")}
METHOD_LABELS = {mortgage.EQUAL_INSTALMENT: _l("Equal instalment"),
                 mortgage.EQUAL_PRINCIPAL: _l("Equal principal")}
#: what the form shows before anything is typed (a typical loan; rates are examples, not offers)
DEFAULTS = {"loan_type": COMMERCIAL, "amount": "1000000", "rate": "3.5", "fund_amount": "", "fund_rate": "2.85",
            "years": "30", "method": mortgage.EQUAL_INSTALMENT}


@dataclass
class Calculation:
    loan_type: str
    method: str
    months: int
    rows: list
    totals: mortgage.Totals
    parts: list[tuple[str, Decimal, Decimal]]  # (label, amount, annual rate as a fraction)

    @property
    def combined(self) -> bool:
        return self.loan_type == COMBINED


def _typed() -> dict[str, str]:
    """The form as typed (kept on a refusal), with the defaults for what is absent."""
    if not request.args:
        return dict(DEFAULTS)
    return {key: plain(request.args.get(key, ""))[:40] for key in DEFAULTS}


def _amount(text: str, field: str, label) -> Decimal:
    if not text.strip():
        raise DomainError(_("%(what)s: type the amount.", what=label), field=field)
    value = parse_decimal(text, label=label, places=2, minimum=Decimal(0),
                          maximum=mortgage.MAX_PRINCIPAL * 10, field=field)
    return mortgage.check_principal(value.quantize(Decimal("0.01")), field=field)


def calculate(typed: dict[str, str]) -> Calculation:
    """Parse the form and plan the loan; every refusal is a :class:`DomainError` naming its field."""
    loan_type = typed.get("loan_type")
    if loan_type not in LOAN_TYPES:
        raise DomainError(_("Choose the kind of loan."), field="loan_type")
    method = mortgage.check_method(typed.get("method"))
    years = parse_int(typed.get("years"), label=_("Term (years)"), minimum=1, maximum=30, field="years")
    months = mortgage.check_months(years * 12, field="years")
    if loan_type == COMBINED:
        amount = _amount(typed.get("amount", ""), "amount", _("Commercial part"))
        rate = mortgage.parse_percent(typed.get("rate", ""), field="rate")
        fund_amount = _amount(typed.get("fund_amount", ""), "fund_amount", _("Housing fund part"))
        fund_rate = mortgage.parse_percent(typed.get("fund_rate", ""), field="fund_rate")
        rows = mortgage.combined_plan(amount, rate, fund_amount, fund_rate, months, method)
        parts = [(str(LOAN_TYPES[COMMERCIAL]), amount, rate), (str(LOAN_TYPES[FUND]), fund_amount, fund_rate)]
    else:
        amount = _amount(typed.get("amount", ""), "amount", _("Loan amount"))
        rate = mortgage.parse_percent(typed.get("rate", ""), field="rate")
        rows = mortgage.plan(amount, rate, months, method)
        parts = [(str(LOAN_TYPES[loan_type]), amount, rate)]
    return Calculation(loan_type, method, months, rows, mortgage.totals(rows), parts)


def _page(template: str, typed: dict[str, str], calc: Calculation | None, error: DomainError | None):
    return render_template(template, typed=typed, calc=calc, error=error.message if error else None,
                           field=error.field if error else None, loan_types=LOAN_TYPES, method_labels=METHOD_LABELS,
                           percent=_percent)


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


@bp.get("/mortgage")
@roles_required("clerk", "manager")
def calculator():
    """The calculator: the form, and the plan month by month once it is filled in."""
    typed = _typed()
    try:
        calc = calculate(typed)
    except DomainError as error:
        template = "property/_mortgage_result.html" if htmx else "property/mortgage.html"
        return _page(template, typed, None, error), error.status
    if htmx and request.headers.get("HX-Target") == "mortgage-result":
        return _page("property/_mortgage_result.html", typed, calc, None)
    return _page("property/mortgage.html", typed, calc, None)


@bp.get("/mortgage.pdf")
@roles_required("clerk", "manager")
def calculator_pdf():
    """The plan on A4 for the customer to take home (every month, totals, the figures used)."""
    typed = _typed()
    try:
        calc = calculate(typed)
    except DomainError as error:
        return _page("property/mortgage.html", typed, None, error), error.status
    return pdf_response("print/mortgage_a4.html", f"mortgage-{calc.months}.pdf", calc=calc, typed=typed,
                        loan_types=LOAN_TYPES, method_labels=METHOD_LABELS, percent=_percent,
                        in_words=amount_in_words, page_size="A4")
