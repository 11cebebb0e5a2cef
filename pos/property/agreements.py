"""Subscription agreements (商品房认购书): the rules.

An agent drafts an agreement for an available unit, or for one held for the same customer. The
unit row is locked (``SELECT … FOR UPDATE``) and checked again under the lock; the hold's claim is
ended and the agreement takes the unit's one live claim (the partial unique index on
``property_unit_claim`` is the database's last word), and the unit becomes subscribed (已认购).
The agreement is in force once its deposit (定金) has been paid into the escrow account at the
finance desk (:mod:`pos.property.escrow`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..clock import local_today
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound, get_or_404
from ..money import FEN, format_money
from ..staff.models import Staff
from ..text import check_text, parse_day, parse_decimal, parse_int, phone, plain
from . import contract_math, ids, pricing, services
from .models import AGREEMENT, AVAILABLE, BY_GROSS, BY_INNER, HELD, HOLD, SUBSCRIBED, Project, Unit, UnitClaim
from .sale_models import (
    AWAITING_DEPOSIT,
    COMBINED,
    COMMERCIAL,
    FUND,
    HK_MACAO,
    ID_TYPES,
    IN_FORCE,
    INSTALMENTS,
    LOAN_TYPES,
    LUMP_SUM,
    MORTGAGE,
    PASSPORT,
    PAYMENT_METHODS,
    RESIDENT_ID,
    TAIWAN,
    Agreement,
    AgreementBuyer,
    ProjectTerms,
)

KIND_LABELS.update({
    "property.agreement_signed": _l("Subscription agreement drafted"),
    "property.agreement_in_force": _l("Subscription agreement in force (deposit paid)"),
})
RECORD_LABELS.update({"property_agreement": _l("Subscription agreement")})

PAYMENT_METHOD_LABELS = {LUMP_SUM: _l("Lump sum"), INSTALMENTS: _l("Instalments"), MORTGAGE: _l("Mortgage")}
LOAN_TYPE_LABELS = {COMMERCIAL: _l("Commercial loan"), FUND: _l("Housing fund loan"), COMBINED: _l("Combined loan")}
ID_TYPE_LABELS = {RESIDENT_ID: _l("Resident ID card"), PASSPORT: _l("Passport"),
                  HK_MACAO: _l("Mainland travel permit (Hong Kong / Macao)"),
                  TAIWAN: _l("Mainland travel permit (Taiwan)")}
#: the printed documents are Chinese legal texts: their labels are fixed, whatever the screen's language
ID_TYPE_ZH = {RESIDENT_ID: "居民身份证", PASSPORT: "护照", HK_MACAO: "港澳居民来往内地通行证",
              TAIWAN: "台湾居民来往大陆通行证"}
PAYMENT_METHOD_ZH = {LUMP_SUM: "一次性付款", INSTALMENTS: "分期付款", MORTGAGE: "按揭贷款"}
LOAN_TYPE_ZH = {COMMERCIAL: "商业贷款", FUND: "住房公积金贷款", COMBINED: "组合贷款（商业贷款＋公积金贷款）"}
BASIS_ZH = {BY_GROSS: "按建筑面积", BY_INNER: "按套内建筑面积", "unit": "按套"}
STATE_LABELS = {AWAITING_DEPOSIT: _l("Awaiting deposit"), IN_FORCE: _l("In force"),
                "converted": _l("Converted to a contract"), "ended": _l("Ended"),
                "changed": _l("Replaced by a change (unit or price)")}

MAX_BUYERS = 4
#: the longest an agreement may give the buyer to sign the purchase contract
MAX_DEADLINE_DAYS = 90
MIN_DOWN_PAYMENT_PCT = 15
MAX_DOWN_PAYMENT_PCT = 95
HUNDRED = Decimal("100.00")


# ------------------------------------------------------------------ project terms
@dataclass
class Terms:
    escrow_cash_allowed: bool = False
    late_fee_per_10000: Decimal = Decimal("5.00")
    rescind_after_days: int = 90
    filing_days: int = 30
    commission_rate_pct: Decimal = Decimal("0.50")


def terms(session: Session, project_id: int) -> Terms:
    """The project's terms (its settings for agreements and payments); the defaults when unset.
    Reading never writes."""
    row = session.get(ProjectTerms, project_id)
    if row is None:
        return Terms()
    return Terms(escrow_cash_allowed=row.escrow_cash_allowed,
                 late_fee_per_10000=(Decimal(row.late_fee_per_10000_x100) / 100).quantize(FEN),
                 rescind_after_days=row.rescind_after_days, filing_days=row.filing_days,
                 commission_rate_pct=(Decimal(row.commission_rate_x100) / 100).quantize(FEN))


def set_terms(session: Session, project_id: int, *, actor: Staff, escrow_cash_allowed: bool | None = None,
              late_fee_per_10000=None, rescind_after_days=None, filing_days=None,
              commission_rate_pct=None) -> Terms:
    """The manager sets a project's terms (audited)."""
    if actor is None or not actor.has_role("manager"):
        raise Forbidden(_("Only the sales manager may do this."))
    project = services.get_project(session, project_id)
    row = session.get(ProjectTerms, project.id, with_for_update=True) or ProjectTerms(project_id=project.id)
    if row.late_fee_per_10000_x100 is None:
        row.late_fee_per_10000_x100, row.rescind_after_days, row.filing_days = 500, 90, 30
        row.commission_rate_x100, row.escrow_cash_allowed = 50, False
    if escrow_cash_allowed is not None:
        row.escrow_cash_allowed = bool(escrow_cash_allowed)
    if late_fee_per_10000 is not None:
        rate = parse_decimal(late_fee_per_10000, label=_("Late-payment daily rate (万分之N)"), places=2,
                             maximum=contract_math.MAX_DAILY_RATE_PER_10000, field="late_fee_per_10000")
        contract_math.check_daily_rate(rate)
        row.late_fee_per_10000_x100 = int(rate * 100)
    if rescind_after_days is not None:
        row.rescind_after_days = parse_int(rescind_after_days, label=_("Days after which the seller may rescind"),
                                           minimum=1, maximum=365, field="rescind_after_days")
    if filing_days is not None:
        row.filing_days = parse_int(filing_days, label=_("Days allowed for filing"), minimum=1, maximum=90,
                                    field="filing_days")
    if commission_rate_pct is not None:
        rate = parse_decimal(commission_rate_pct, label=_("Commission rate (%)"), places=2,
                             maximum=Decimal("10"), field="commission_rate_pct")
        row.commission_rate_x100 = int(rate * 100)
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    session.add(row)
    session.flush()
    record(session, "property.terms_set", actor=actor, record=project,
           summary=f"cash {row.escrow_cash_allowed}, late fee {row.late_fee_per_10000_x100 / 100}/10000, "
                   f"rescind {row.rescind_after_days}d, filing {row.filing_days}d, "
                   f"commission {row.commission_rate_x100 / 100}%")
    return terms(session, project.id)


KIND_LABELS["property.terms_set"] = _l("Property project terms set")


# ------------------------------------------------------------------ what the agent typed
@dataclass
class BuyerInput:
    name: str = ""
    id_type: str = RESIDENT_ID
    id_number: str = ""
    phone: str = ""
    address: str = ""
    share: str = ""


@dataclass
class AgreementInput:
    buyers: list[BuyerInput] = field(default_factory=list)
    total_price: str = ""
    deposit: str = ""
    contract_deadline: str = ""
    payment_method: str = ""
    loan_type: str = ""
    down_payment_pct: str = ""
    signing_place: str = ""
    note: str = ""
    customer_id: int | None = None
    #: a price the manager approved on their tablet (:mod:`pos.property.price_requests`), by id
    price_request: str = ""


@dataclass
class CheckedBuyer:
    name: str
    id_type: str
    id_number: str
    phone: str
    address: str
    share_bp: int


def check_buyers(buyers: list[BuyerInput], *, today: date) -> list[CheckedBuyer]:
    """Every buyer named, with a valid document (a resident ID by its checksum), a phone and an
    address; co-buyers' shares add up to exactly 100 %."""
    typed = [b for b in buyers if any(plain(getattr(b, f)) for f in ("name", "id_number", "phone", "address"))]
    if not typed:
        raise DomainError(_("Name at least one buyer."), field="buyer_name_0")
    if len(typed) > MAX_BUYERS:
        raise DomainError(_("At most %(n)d buyers on one agreement.", n=MAX_BUYERS))
    out: list[CheckedBuyer] = []
    for i, buyer in enumerate(typed):
        n = i + 1
        name = " ".join(check_text(buyer.name, label=_("Buyer %(n)d's name", n=n), max_len=60, required=True,
                                   field=f"buyer_name_{i}").split())
        if buyer.id_type not in ID_TYPES:
            raise DomainError(_("Buyer %(n)d: choose the kind of identity document.", n=n), field=f"buyer_id_type_{i}")
        if buyer.id_type == RESIDENT_ID:
            number = ids.parse_resident_id(buyer.id_number, today=today, field=f"buyer_id_number_{i}").number
        else:
            number = "".join(plain(buyer.id_number).split()).upper()
            if not 5 <= len(number) <= 30 or not number.isascii() or not number.isalnum():
                raise DomainError(_("Buyer %(n)d: the document number is 5 to 30 letters and digits.", n=n),
                                  field=f"buyer_id_number_{i}")
        tel = phone(buyer.phone, field=f"buyer_phone_{i}")
        address = check_text(buyer.address, label=_("Buyer %(n)d's address", n=n), max_len=200, required=True,
                             field=f"buyer_address_{i}")
        if len(typed) == 1 and not plain(buyer.share):
            share = HUNDRED
        else:
            share = parse_decimal((plain(buyer.share) or "").rstrip("%％"), label=_("Buyer %(n)d's share (%%)", n=n),
                                  places=2, minimum=Decimal("0.01"), maximum=HUNDRED, field=f"buyer_share_{i}")
        out.append(CheckedBuyer(name, buyer.id_type, number, tel, address, int(share * 100)))
    numbers = [(b.id_type, b.id_number) for b in out]
    if len(set(numbers)) != len(numbers):
        raise DomainError(_("The same identity document appears twice among the buyers."), field="buyer_id_number_1")
    total = sum(b.share_bp for b in out)
    if total != 10000:
        raise DomainError(_("The buyers' shares add up to %(sum)s %%, not 100 %%.",
                            sum=(Decimal(total) / 100).quantize(FEN)), field="buyer_share_0")
    return out


def _money(value, label, field_name) -> Decimal:
    text = plain(value).replace(",", "").replace("，", "").lstrip("￥¥").removesuffix("元")
    if not text:
        raise DomainError(_("%(field)s is required.", field=label), field=field_name)
    return parse_decimal(text, label=label, places=2, minimum=Decimal("-1e12"), maximum=Decimal("1e10"),
                         field=field_name).quantize(FEN)


def agreed_unit_price(unit: Unit, total: Decimal) -> Decimal:
    """The unit price the agreement states: the agreed total over the area it is priced by, to the fen."""
    if unit.pricing_basis == BY_GROSS:
        return (total / unit.gross_area).quantize(FEN, rounding=ROUND_HALF_UP)
    if unit.pricing_basis == BY_INNER:
        return (total / unit.inner_area).quantize(FEN, rounding=ROUND_HALF_UP)
    return total


# ------------------------------------------------------------------ drafting
def create_agreement(session: Session, unit_id, data: AgreementInput, *, actor: Staff,
                     approver: Staff | None = None, now: datetime | None = None) -> Agreement:
    """Draft a subscription agreement for an available unit or one held for the same customer; the
    unit becomes subscribed and the agreement holds its one live claim. Everything is checked
    before anything is written; the unit is checked again under its row lock."""
    now = now or utcnow()
    today = local_today()
    buyers = check_buyers(data.buyers, today=today)
    total = _money(data.total_price, _("Total price"), "total_price")
    if total <= 0:
        raise DomainError(_("The total price must be more than 0."), field="total_price")
    deposit = _money(data.deposit, _("Deposit"), "deposit")
    if deposit <= 0:
        raise DomainError(_("The deposit must be more than 0."), field="deposit")
    deadline = parse_day(data.contract_deadline, label=_("Contract deadline"), field="contract_deadline")
    if deadline <= today:
        raise DomainError(_("The date by which the purchase contract must be signed must be after today."),
                          field="contract_deadline")
    if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise DomainError(_("The purchase contract must be signed within %(n)d days of the agreement.",
                            n=MAX_DEADLINE_DAYS), field="contract_deadline")
    method = plain(data.payment_method)
    if method not in PAYMENT_METHODS:
        raise DomainError(_("Choose the payment method: lump sum, instalments or mortgage."), field="payment_method")
    loan_type, down_pct = None, None
    if method == MORTGAGE:
        loan_type = plain(data.loan_type)
        if loan_type not in LOAN_TYPES:
            raise DomainError(_("Choose the kind of loan: commercial, housing fund or combined."), field="loan_type")
        down_pct = parse_int((plain(data.down_payment_pct) or "").rstrip("%％"),
                             label=_("Planned down payment (%)"), minimum=MIN_DOWN_PAYMENT_PCT,
                             maximum=MAX_DOWN_PAYMENT_PCT, field="down_payment_pct")
    place = check_text(data.signing_place, label=_("Place of signing"), max_len=100, required=True,
                       field="signing_place")
    note = check_text(data.note, label=_("Note"), max_len=1000)

    # the unit, locked, checked again under the lock
    unit = services._lock(session, unit_id)
    services.settle_lapsed(session, unit, now)
    claim = services.live_claim(session, unit.id)
    if unit.status == HELD and claim is not None and claim.kind == HOLD:
        names = {b.name for b in buyers}
        same = (data.customer_id is not None and claim.customer_id == data.customer_id) \
            or " ".join(claim.customer_name.split()) in names
        if not same:
            raise Conflict(_("Unit %(number)s is held by %(who)s for %(customer)s, not for this buyer.",
                             number=unit.number, who=claim.staff.full_name if claim.staff else "?",
                             customer=claim.customer_name))
    else:
        services._refuse_unless(unit, (AVAILABLE,), session)
    approved = None
    if plain(data.price_request) and approver is None:
        from . import price_requests

        approved = price_requests.check_use(session, plain(data.price_request), unit, total, agent=actor, now=now)
    check = pricing.check_price(session, unit, total, actor=actor, approver=approver, approved_request=approved)
    contract_math.check_deposit(deposit, total)
    project: Project = unit.building.project
    if not project.has_permit:
        raise DomainError(_("%(project)s has no pre-sale permit: no agreement may be signed and no deposit taken.",
                            project=project.name))

    if claim is not None and claim.kind == HOLD and claim.ended_at is None:
        claim.ended_at = now
        claim.end_reason = "converted"
        claim.ended_by_id = actor.id
        session.flush()
    new_claim = UnitClaim(unit_id=unit.id, kind=AGREEMENT, customer_id=data.customer_id,
                          customer_name=buyers[0].name, staff_id=actor.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(new_claim)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Unit %(number)s was just taken by someone else.", number=unit.number)) from None

    # the project row orders the agreement numbers (RG-year-00001, no gaps)
    session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    seq = (session.scalar(select(func.max(Agreement.seq)).where(Agreement.project_id == project.id)) or 0) + 1
    agreement = Agreement(
        no=f"RG-{project.id:02d}-{today.year}-{seq:05d}", project_id=project.id, seq=seq, unit_id=unit.id,
        claim_id=new_claim.id, customer_id=data.customer_id, state=AWAITING_DEPOSIT,
        seller_name=project.developer or project.name, seller_licence_no=project.developer_licence_no or "",
        presale_permit_no=project.presale_permit_no or "", project_name=project.name,
        project_address=project.address or "", escrow_bank=project.escrow_bank or "",
        escrow_account_name=project.escrow_account_name or "", escrow_account_no=project.escrow_account_no or "",
        building_name=unit.building.name, unit_number=unit.number, layout=unit.layout, gross_area=unit.gross_area,
        inner_area=unit.inner_area, shared_area=unit.shared_area, pricing_basis=unit.pricing_basis,
        filed_total=check.filed_total, unit_price=agreed_unit_price(unit, total), total_price=total,
        discount=check.filed_total - total, discount_approved_by_id=check.approved_by.id if check.approved_by else None,
        deposit=deposit, contract_deadline=deadline, payment_method=method, loan_type=loan_type,
        down_payment_pct=down_pct, signing_place=place, note=note, agent_id=actor.id, created_at=now)
    for position, b in enumerate(buyers, start=1):
        agreement.buyers.append(AgreementBuyer(position=position, name=b.name, id_type=b.id_type,
                                               id_number=b.id_number, phone=b.phone, address=b.address,
                                               share_bp=b.share_bp))
    session.add(agreement)
    session.flush()
    services._change(session, unit, SUBSCRIBED, actor=actor, kind="property.agreement_signed", claim=new_claim,
                     note=f"{agreement.no} {agreement.buyer_names}", at=now)
    unit.sold_total = total
    if approved is not None:
        from . import price_requests

        price_requests.mark_used(session, approved, agreement, agent=actor, now=now)
    record(session, "property.agreement_signed", actor=actor, record=agreement,
           summary=f"{agreement.no} {unit.building.name} {unit.number} {agreement.buyer_names} "
                   f"{format_money(total)}, deposit {format_money(deposit)}")
    return agreement


# ------------------------------------------------------------------ reading
def get_agreement(session: Session, agreement_id, *, lock: bool = False) -> Agreement:
    return get_or_404(session, Agreement, agreement_id, _("No such agreement."), for_update=lock)


def find_agreement(session: Session, no: str) -> Agreement:
    text = plain(no).upper()
    agreement = session.scalar(select(Agreement).where(Agreement.no == text)) if text else None
    if agreement is None:
        raise NotFound(_("No agreement numbered %(no)s.", no=text[:30] or "—"))
    return agreement


def agreement_for_unit(session: Session, unit_id: int) -> Agreement | None:
    """The unit's live agreement (the one holding its claim), if any."""
    return session.scalar(select(Agreement).join(UnitClaim, Agreement.claim_id == UnitClaim.id)
                          .where(Agreement.unit_id == unit_id, UnitClaim.ended_at.is_(None)))


def recent(session: Session, *, agent: Staff | None = None, limit: int = 50) -> list[Agreement]:
    query = select(Agreement).order_by(Agreement.id.desc()).limit(limit)
    if agent is not None and not agent.has_role("manager"):
        query = query.where(Agreement.agent_id == agent.id)
    return list(session.scalars(query))


def in_words(value: Decimal) -> str:
    from ..money import amount_in_words

    return amount_in_words(value)
