"""Changes with the manager's approval (issue 16): an agreement moved to another unit (换房) or
replaced at a new price — new records, the deposit carried by escrow records, the old unit freed
or locked, one live claim per unit; a contract's new price with its schedule re-made (or refused
once paid on); the supplementary agreement printed; a cancelled contract's paid commission clawed
back in the next open month."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select, update

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.money import format_money
from pos.property import changes, commission, contracts, escrow, pricing, services
from pos.property.changes_models import AgreementChange
from pos.property.models import AVAILABLE, LOCKED, SUBSCRIBED, Unit, UnitClaim
from pos.property.sale_models import Agreement, CommissionLine, ContractChange, EscrowPayment, ScheduleItem
from tests.conftest import login_as
from tests.helpers import count, row_counts, text
from tests.property.test_contracts import data, desk, in_force  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("english")


def filed(session, unit) -> Decimal:
    return pricing.current_line(session, unit).filed_total


def pct_below(session, unit, pct) -> Decimal:
    return (filed(session, unit) * (100 - Decimal(pct)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def live_claims(session, unit_id) -> int:
    return session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == unit_id,
                                                                 UnitClaim.ended_at.is_(None)))


def test_unit_change_makes_a_new_agreement_and_carries_the_deposit(session, in_force, b1, unit_no, agent,  # noqa: F811
                                                                   manager, desk):  # noqa: F811
    old_unit, new_unit = in_force.unit, unit_no(b1, "202")
    takings_before = escrow.day_takings(session, local_today()).net
    change = changes.change_agreement(session, in_force.id, new_unit_id=new_unit.id,
                                      new_total=str(filed(session, new_unit)), actor=agent, approver=manager,
                                      reason="客户想换低楼层", lock_days="0")
    session.commit()
    new = change.new_agreement
    assert change.kind == "unit" and change.carried == Decimal("50000.00")
    assert in_force.state == "changed" and in_force.ended_at is not None  # kept, not deleted
    assert new.unit_id == new_unit.id and new.state == "in_force" and new.deposit == in_force.deposit
    assert [b.name for b in new.buyers] == [b.name for b in in_force.buyers]
    assert old_unit.status == AVAILABLE and old_unit.sold_total is None
    assert new_unit.status == SUBSCRIBED and new_unit.sold_total == new.total_price
    assert live_claims(session, old_unit.id) == 0 and live_claims(session, new_unit.id) == 1
    # the money: two records, out of the old agreement and into the new one; nothing at the desk
    carry = session.scalars(select(EscrowPayment).where(EscrowPayment.method == "carry")
                            .order_by(EscrowPayment.id)).all()
    assert [(p.agreement_id, p.amount) for p in carry] == [(in_force.id, Decimal("-50000.00")),
                                                          (new.id, Decimal("50000.00"))]
    assert escrow.paid_on(session, in_force, "deposit") == 0 and escrow.paid_on(session, new, "deposit") == new.deposit
    assert escrow.day_takings(session, local_today()).net == takings_before
    # the new agreement goes on to a contract as usual
    c = contracts.create_contract(session, new.id, data(new), actor=agent)
    assert c.deposit_credited == new.deposit


def test_unit_change_can_lock_the_old_unit(session, in_force, b1, unit_no, agent, manager):  # noqa: F811
    old_unit = in_force.unit
    change = changes.change_agreement(session, in_force.id, new_unit_id=unit_no(b1, "202").id,
                                      new_total=str(filed(session, unit_no(b1, "202"))), actor=agent,
                                      approver=manager, reason="换房", lock_days="30")
    session.commit()
    assert old_unit.status == LOCKED and old_unit.locked_until == local_today() + timedelta(days=30)
    assert change.unit_locked_until == old_unit.locked_until


def test_price_change_replaces_the_agreement_on_the_same_unit(session, in_force, agent, manager):  # noqa: F811
    unit = in_force.unit
    price = pct_below(session, unit, 4)  # beyond the agent's 2 %: the manager's approval covers it
    change = changes.change_agreement(session, in_force.id, new_total=str(price), actor=agent, approver=manager,
                                      reason="开盘优惠")
    session.commit()
    new = change.new_agreement
    assert change.kind == "price" and new.unit_id == unit.id and new.total_price == price
    assert new.discount_approved_by_id == manager.id and new.state == "in_force"
    assert in_force.state == "changed" and in_force.total_price != price  # the old one is as it was
    assert unit.status == SUBSCRIBED and live_claims(session, unit.id) == 1
    assert services.live_claim(session, unit.id).id == new.claim_id


@pytest.mark.parametrize("number, message", [("1201", "already taken"), ("1801", "already held"),
                                             ("301", "locked")])
def test_change_to_an_unavailable_unit_is_refused(session, in_force, b1, unit_no, agent, manager,  # noqa: F811
                                                  number, message):
    target = unit_no(b1, number)
    before = row_counts(session)
    with pytest.raises(DomainError, match=message):
        changes.change_agreement(session, in_force.id, new_unit_id=target.id, new_total="1000000", actor=agent,
                                 approver=manager, reason="换房")
    session.rollback()
    assert row_counts(session) == before
    assert session.get(Agreement, in_force.id).state == "in_force"


@pytest.mark.parametrize("pct, message", [(6, "below the floor price"), (-1, "above the filed price")])
def test_change_price_outside_floor_and_filed_is_refused(session, in_force, agent, manager, pct,  # noqa: F811
                                                         message):
    before = row_counts(session)
    with pytest.raises(DomainError, match=message):
        changes.change_agreement(session, in_force.id, new_total=str(pct_below(session, in_force.unit, pct)),
                                 actor=agent, approver=manager, reason="x")
    session.rollback()
    assert row_counts(session) == before


def test_change_needs_a_manager_and_a_reason_and_a_change(session, in_force, agent, agent2, manager):  # noqa: F811
    price = str(pct_below(session, in_force.unit, 1))
    with pytest.raises(Forbidden, match="manager must approve"):
        changes.change_agreement(session, in_force.id, new_total=price, actor=agent, approver=None, reason="x")
    with pytest.raises(Forbidden, match="manager must approve"):
        changes.change_agreement(session, in_force.id, new_total=price, actor=agent, approver=agent2, reason="x")
    with pytest.raises(DomainError, match="Reason"):
        changes.change_agreement(session, in_force.id, new_total=price, actor=agent, approver=manager, reason="")
    with pytest.raises(DomainError, match="Nothing changes"):
        changes.change_agreement(session, in_force.id, new_total=str(in_force.total_price), actor=agent,
                                 approver=manager, reason="x")
    with pytest.raises(Forbidden, match="agreement"):
        changes.change_agreement(session, in_force.id, new_total=price, actor=agent2, approver=manager, reason="x")
    session.rollback()
    assert count(session, AgreementChange) == 0


def test_a_changed_or_converted_agreement_cannot_be_changed(session, in_force, b1, unit_no, agent,  # noqa: F811
                                                            manager):
    change = changes.change_agreement(session, in_force.id, new_unit_id=unit_no(b1, "202").id,
                                      new_total=str(filed(session, unit_no(b1, "202"))), actor=agent,
                                      approver=manager, reason="换房")
    session.commit()
    with pytest.raises(Conflict, match="already changed"):
        changes.change_agreement(session, in_force.id, new_unit_id=unit_no(b1, "203").id, new_total="1",
                                 actor=agent, approver=manager, reason="again")
    session.rollback()
    contracts.create_contract(session, change.new_agreement_id, data(change.new_agreement), actor=agent)
    session.commit()
    with pytest.raises(DomainError, match="already has a purchase contract"):
        changes.change_agreement(session, change.new_agreement_id, new_total="1", actor=agent, approver=manager,
                                 reason="x")


# ------------------------------------------------------------------ a contract's price
def test_contract_price_change_remakes_the_schedule(session, in_force, agent, manager):  # noqa: F811
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    session.commit()
    old_total, loan_before = c.total_price, c.items[-1].amount
    new_total = pct_below(session, c.unit, 4)
    change = changes.change_contract_price(session, c.id, new_total=str(new_total), actor=agent, approver=manager,
                                           reason="开盘优惠补差")
    session.commit()
    session.refresh(c)
    assert change.kind == "price" and change.old_total == old_total and change.new_total == new_total
    assert c.total_price == new_total and c.unit.sold_total == new_total
    assert sum(i.amount for i in c.items) + c.deposit_credited == new_total  # still adds up
    assert c.items[-1].amount == loan_before - (old_total - new_total)
    assert [line[0] for line in changes.schedule_before(change)] == ["首付款", "按揭贷款"]
    assert changes.schedule_before(change)[-1][3] == loan_before  # the replaced schedule is kept


def _signed(session, in_force, agent):  # noqa: F811
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    session.commit()
    return c


def test_contract_price_change_keeps_the_old_item_superseded(session, in_force, agent, manager):  # noqa: F811
    c = _signed(session, in_force, agent)
    down, loan = c.items
    loan_id, loan_amount, loan_position = loan.id, loan.amount, loan.position
    first = changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 2)), actor=agent,
                                          approver=manager, reason="补差")
    session.commit()
    session.expire_all()
    old = session.get(ScheduleItem, loan_id)  # still in the database, untouched but for the mark
    assert old is not None and old.amount == loan_amount and old.position == loan_position
    assert old.superseded_by_change_id == first.id and old.superseded_at is not None and not old.live
    assert count(session, ScheduleItem) == 3
    c = session.get(type(c), c.id)
    assert [i.id for i in c.items][0] == down.id and loan_id not in [i.id for i in c.items]
    made = c.items[-1]
    assert made.live and made.made_by_change_id == first.id and made.position == loan_position
    assert made.kind == "loan" and made.label == old.label and made.due_date == old.due_date
    assert sum(i.amount for i in c.items) + c.deposit_credited == c.total_price == first.new_total
    assert [i.id for i in c.all_items] == [down.id, loan_id, made.id]  # the history, in order
    assert c.loan_amount == made.amount  # the mortgage plan reads the live schedule
    # the finance desk is offered the live items only
    dues = [d.schedule_item_id for d in escrow.dues(session, in_force)]
    assert dues == [down.id, made.id]
    # a second change supersedes the item the first one made; the first keeps its supplementary
    # agreement's "after" column as it was
    second = changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 3)),
                                           actor=agent, approver=manager, reason="再补差")
    session.commit()
    session.expire_all()
    assert session.get(ScheduleItem, made.id).superseded_by_change_id == second.id
    assert [i.id for i in changes.schedule_after(session, first)] == [down.id, made.id]
    assert [i.amount for i in changes.schedule_after(session, second)][-1] == loan_amount - (
        first.old_total - second.new_total)
    history = changes.schedule_history(session, c)
    assert [(h.change.id, [i.id for i in h.replaced], len(h.made)) for h in history] == [
        (first.id, [loan_id], 1), (second.id, [made.id], 1)]
    # set once: a superseded item is not marked again (nor un-marked)
    with pytest.raises(ValueError, match="set once"):
        session.get(ScheduleItem, loan_id).superseded_by_change_id = second.id
    session.rollback()


def test_collections_count_only_the_live_item(session, in_force, agent, manager):  # noqa: F811
    from pos.property import collections

    c = _signed(session, in_force, agent)
    down, loan = c.items
    # both fell due and are unpaid: overdue (moved back for the test, before the change)
    past = local_today() - timedelta(days=10)
    session.execute(update(ScheduleItem).where(ScheduleItem.id == down.id).values(due_date=past - timedelta(days=10)))
    session.execute(update(ScheduleItem).where(ScheduleItem.id == loan.id).values(due_date=past))
    session.commit()
    session.expire_all()
    assert collections.overdue_count(session) == 2
    change = changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 2)),
                                           actor=agent, approver=manager, reason="补差")
    session.commit()
    session.expire_all()
    c = session.get(type(c), c.id)
    live_loan = c.items[-1]
    assert live_loan.id != loan.id and live_loan.made_by_change_id == change.id
    overdue = collections.overdue(session)
    assert collections.overdue_count(session) == 2 and [o.item.id for o in overdue] == [down.id, live_loan.id]
    # the period's due: the live loan only (not the superseded one as well)
    rate = collections.collection(session, past, past)
    assert rate.overall.due == live_loan.amount and rate.overall.collected == 0
    # the contract page's schedule reads the live items; the state per item too
    assert [item.id for item, _fee in contracts.schedule_states(session, c)] == [i.id for i in c.items]


def test_paying_a_superseded_item_is_refused_and_saves_nothing(session, in_force, agent, manager,  # noqa: F811
                                                               desk):  # noqa: F811
    from flask_babel import force_locale

    c = _signed(session, in_force, agent)
    loan = c.items[-1]
    changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 2)), actor=agent,
                                  approver=manager, reason="补差")
    session.commit()
    before = row_counts(session)
    with pytest.raises(Conflict, match="replaced by a change of the contract's price") as refused:
        escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"loan:{loan.id}", amount="1000",
                                                                      method="card", reference="77002"),
                            cashier=desk, once_key="old-loan")
    assert refused.value.status == 409
    session.rollback()
    with force_locale("zh_CN"), pytest.raises(Conflict, match="因合同价格变更被取代，不能再收款"):
        escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"loan:{loan.id}", amount="1000",
                                                                      method="card", reference="77002"),
                            cashier=desk, once_key="old-loan")
    session.rollback()
    assert row_counts(session) == before


def test_web_paying_a_superseded_item_and_the_contract_page(app, client, session, in_force, agent,  # noqa: F811
                                                            manager, desk):  # noqa: F811
    c = _signed(session, in_force, agent)
    loan = c.items[-1]
    changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 2)), actor=agent,
                                  approver=manager, reason="补差")
    session.commit()
    login_as(client, "S001")
    form = {"item": f"loan:{loan.id}", "amount": "1000", "method": "card", "reference": "77003",
            "value_date": local_today().isoformat(), "payer": "", "once_key": "web-old-loan"}
    resp = client.post(f"/property/escrow/agreements/{in_force.id}", data=form)
    assert resp.status_code == 409 and "can no longer be paid" in text(resp)
    session.expire_all()
    assert session.scalar(select(func.count(EscrowPayment.id)).where(EscrowPayment.schedule_item_id == loan.id)) == 0
    # the contract's page: the live schedule, and the superseded item under the change (struck through)
    login_as(client, "C001")
    page = client.get(f"/property/contracts/{c.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    schedule = html.split('data-testid="schedule"')[1].split("</table>")[0]
    assert format_money(loan.amount) not in schedule
    history = html.split('data-testid="contract-changes"')[1].split("</table>")[0]
    assert f'data-testid="superseded-item-{loan.id}"' in history and "<del>" in history
    assert format_money(loan.amount) in history and "kept on record" in history


def test_contract_price_change_refused_once_paid_on_the_schedule(session, in_force, agent, manager,  # noqa: F811
                                                                 desk):  # noqa: F811
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    down = c.items[0]
    escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"down_payment:{down.id}", amount="1000",
                                                                  method="card", reference="77001"),
                        cashier=desk, once_key="dp1")
    session.commit()
    before = row_counts(session)
    with pytest.raises(DomainError, match="already been paid on the schedule"):
        changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 1)), actor=agent,
                                      approver=manager, reason="x")
    session.rollback()
    assert row_counts(session) == before


def test_contract_price_change_that_cannot_be_remade_or_is_out_of_bounds(session, in_force, agent,  # noqa: F811
                                                                         manager):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    session.commit()
    with pytest.raises(DomainError, match="below the floor price"):
        changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 6)), actor=agent,
                                      approver=manager, reason="x")
    with pytest.raises(Forbidden):
        changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 1)), actor=agent,
                                      approver=None, reason="x")
    session.rollback()
    # a schedule whose last item is smaller than the cut cannot be re-made
    session.execute(update(ScheduleItem).where(ScheduleItem.id == c.items[0].id)
                    .values(amount=c.items[0].amount + c.items[1].amount - 100))
    session.execute(update(ScheduleItem).where(ScheduleItem.id == c.items[1].id).values(amount=100))
    session.commit()
    session.expire_all()
    with pytest.raises(DomainError, match="cannot be re-made"):
        changes.change_contract_price(session, c.id, new_total=str(pct_below(session, c.unit, 1)), actor=agent,
                                      approver=manager, reason="x")
    session.rollback()
    assert count(session, ContractChange) == 0


# ------------------------------------------------------------------ commission clawback on 退房
def test_cancelled_contracts_commission_is_clawed_back_in_the_next_open_month(session, in_force, agent,  # noqa: F811
                                                                              manager, desk):  # noqa: F811
    from pos.clock import local_day_bounds
    from pos.property import agreements

    agreements.set_terms(session, in_force.project_id, actor=manager, commission_rate_pct="0.5")
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    session.commit()
    # signed and paid last month, and last month approved: 0.5 % of the 50,000.00 deposit = 250.00 paid
    first_of_month = local_today().replace(day=1)
    last_month_day = first_of_month - timedelta(days=5)
    session.execute(update(EscrowPayment).values(value_date=last_month_day))
    c.signed_at = local_day_bounds(last_month_day)[0] + timedelta(hours=3)
    session.commit()
    last_month = f"{last_month_day.year:04d}-{last_month_day.month:02d}"
    approved = commission.approve(session, last_month, manager=manager)
    session.commit()
    assert [line.amount for line in approved.lines] == [Decimal("250.00")]
    frozen = [(line.id, line.amount) for line in approved.lines]
    # 退房 this month
    contracts.cancel_contract(session, c.id, actor=agent, approver=manager, reason="退房")
    session.commit()
    report = commission.compute(session, None)
    lines = [line for a in report.agents for line in a.lines]
    assert [(line.kind, line.amount) for line in lines] == [("clawback", Decimal("-250.00"))]
    assert "退房追回" in lines[0].description
    # the approved month is untouched
    session.expire_all()
    assert [(line.id, line.amount) for line in session.scalars(
        select(CommissionLine).where(CommissionLine.month_id == approved.id))] == frozen
    # once the clawback month is approved, later months claw back nothing more
    this_month_last = (first_of_month + timedelta(days=40)).replace(day=1) - timedelta(days=1)
    later = [line for a in commission.compute(session, f"{(this_month_last + timedelta(days=1)):%Y-%m}").agents
             for line in a.lines]
    assert [(line.kind, line.amount) for line in later] == [("clawback", Decimal("-250.00"))]  # not yet approved


# ------------------------------------------------------------------ screens and the supplementary agreement
def test_web_unit_change_with_pin_and_pdf(app, client, session, in_force, b1, unit_no, manager):  # noqa: F811
    target = unit_no(b1, "202")
    login_as(client, "C001")
    page = client.get(f"/property/agreements/{in_force.id}/change")
    assert page.status_code == 200 and f'value="{target.id}"' in text(page)
    form = {"new_unit": str(target.id), "new_total": str(filed(session, target)), "reason": "换房", "lock_days": "0",
            "manager_id": str(manager.id), "manager_pin": ""}
    before = row_counts(session)
    no_pin = client.post(f"/property/agreements/{in_force.id}/change", data=form)
    assert no_pin.status_code == 403 and "A manager must approve a change with their PIN" in text(no_pin)
    wrong = client.post(f"/property/agreements/{in_force.id}/change", data={**form, "manager_pin": "0000"})
    assert wrong.status_code in (401, 403)
    locked = client.post(f"/property/agreements/{in_force.id}/change",
                         data={**form, "new_unit": str(unit_no(b1, "301").id), "manager_pin": "9001"})
    assert locked.status_code == 422 and "locked" in text(locked)
    session.expire_all()
    after = row_counts(session)
    kept = ("pin_throttle", "audit_entry")  # the wrong PIN's try is kept (pos.tx.keep_after_rollback)
    assert {k: v for k, v in after.items() if k not in kept} == {k: v for k, v in before.items() if k not in kept}
    ok = client.post(f"/property/agreements/{in_force.id}/change", data={**form, "manager_pin": "9001"})
    assert ok.status_code == 303, text(ok)
    change = session.scalar(select(AgreementChange))
    shown = text(client.get(f"/property/agreements/{change.new_agreement_id}"))
    assert in_force.no in shown and 'data-testid="change-pdf"' in shown
    pdf = client.get(f"/property/agreements/changes/{change.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert session.get(Unit, target.id).status == SUBSCRIBED


def test_web_contract_price_change_and_pdf(app, client, session, in_force, agent, manager):  # noqa: F811
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    session.commit()
    login_as(client, "C001")
    assert client.get(f"/property/contracts/{c.id}/price").status_code == 200
    form = {"new_total": str(pct_below(session, c.unit, 3)), "reason": "补差", "manager_id": str(manager.id),
            "manager_pin": ""}
    assert client.post(f"/property/contracts/{c.id}/price", data=form).status_code == 403
    above = client.post(f"/property/contracts/{c.id}/price",
                        data={**form, "new_total": str(pct_below(session, c.unit, -1)), "manager_pin": "9001"})
    assert above.status_code == 422 and "above the filed price" in text(above)
    assert count(session, ContractChange) == 0
    ok = client.post(f"/property/contracts/{c.id}/price", data={**form, "manager_pin": "9001"})
    assert ok.status_code == 303
    change = session.scalar(select(ContractChange))
    page = text(client.get(f"/property/contracts/{c.id}/price"))
    assert f"change-pdf-{change.id}" in page
    pdf = client.get(f"/property/contracts/changes/{change.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_carried_deposit_is_not_reversed_at_the_desk(session, in_force, b1, unit_no, agent, manager,  # noqa: F811
                                                       desk):  # noqa: F811
    change = changes.change_agreement(session, in_force.id, new_unit_id=unit_no(b1, "202").id, new_total="",
                                      actor=agent, approver=manager, reason="换房")
    session.commit()
    assert change.new_total == filed(session, unit_no(b1, "202"))  # blank: the new unit's filed price
    carried_in = session.scalar(select(EscrowPayment).where(EscrowPayment.agreement_id == change.new_agreement_id))
    with pytest.raises(DomainError, match="not reversed at the desk"):
        escrow.reverse_payment(session, carried_in.id, cashier=desk, approver=manager, reason="x", once_key="rv1")
