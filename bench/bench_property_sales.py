"""The sales office's part 2 with a project of 2,000 units and 1,500 signed contracts (smaller with
POS_BENCH_UNITS_PER_FLOOR / POS_BENCH_CONTRACTS).

Targets (issue 16), server time of the whole request through the app, on SQLite and PostgreSQL,
p95 < 100 ms each: the sales-control board of a 500-unit building, an agreement's page, drafting an
agreement (POST, a new unit each time), a deposit taken at the finance desk (POST, a new agreement
each time), and the manager's collections page (the month's rates and every overdue item).

The data is made through the rules (agreements, deposits, contracts, signatures), backdated so that
a third of the contracts have an overdue item.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update

from bench.common import bench_app, measure, on_both_databases, report

FLOORS = 50
BUILDINGS = 4


def _login(client, staff_no: str) -> None:
    from pos.staff import services as staff

    with client.session_transaction() as sess:
        person = staff.by_number(__import__("pos.extensions", fromlist=["db"]).db.session, staff_no)
        sess["_user_id"] = person.get_id()
        sess["_fresh"] = True


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from pos.cashier import services as cashier
    from pos.clock import local_today
    from pos.extensions import db
    from pos.property import agreements, contracts, escrow, pricing, services
    from pos.property.models import Unit
    from pos.property.sale_models import Agreement, EscrowPayment, ScheduleItem
    from pos.shop.models import Station
    from pos.staff import services as staff

    per_floor = int(os.environ.get("POS_BENCH_UNITS_PER_FLOOR", 10))
    wanted = int(os.environ.get("POS_BENCH_CONTRACTS", 1500))
    app = bench_app(url, folder)
    with app.app_context():
        s = db.session
        started = time.perf_counter()
        manager = staff.by_number(s, "M001")
        agents = [staff.by_number(s, "C001"), staff.by_number(s, "C002")]
        desk = staff.by_number(s, "S001")
        project = services.create_project(
            s, actor=manager, name="基准花园", address="上海", developer="基准置业", presale_permit_no="基准预字001",
            presale_permit_date=local_today() - timedelta(days=30),
            escrow_bank="建设银行", escrow_account_name="基准置业监管户", escrow_account_no="31050000000000009999")
        stacks = [services.StackRule("三室两厅", "南", "120.00", "96.00", "30000") for _ in range(per_floor)]
        buildings = [services.generate_building(s, project, f"{n}号楼", FLOORS, stacks, floor_premium="100",
                                                actor=manager) for n in range(1, BUILDINGS + 1)]
        s.flush()
        for b in buildings:
            pricing.publish_from_list(s, b, effective_on=local_today(), floor_pct="5", actor=manager)
        units = list(s.scalars(select(Unit).where(Unit.building_id.in_([b.id for b in buildings])).order_by(Unit.id)))
        services.release_units(s, [u.id for u in units], actor=manager)
        station = s.scalar(select(Station).where(Station.active.is_(True)).order_by(Station.id))
        cashier.open_shift(s, cashier=desk, station_id=station.id, counts={10000: 1})
        s.commit()
        today = local_today()
        for i, unit in enumerate(units[:wanted]):
            a = agreements.create_agreement(s, unit.id, _typed(unit, i), actor=agents[i % 2])
            escrow.take_payment(s, a.id, escrow.PaymentInput(item="deposit", amount="50000", method="card",
                                                             reference=f"REF{i:06d}"),
                                cashier=desk, once_key=f"dep-{i}")
            rest = a.total_price - a.deposit
            c = contracts.create_contract(s, a.id, contracts.ContractInput(
                items=[contracts.ItemInput("down_payment", (today + timedelta(days=1)).isoformat(),
                                           str((rest / 2).quantize(Decimal("0.01")))),
                       contracts.ItemInput("instalment", (today + timedelta(days=60)).isoformat(),
                                           str(rest - (rest / 2).quantize(Decimal("0.01"))))],
                delivery_date=(today + timedelta(days=700)).isoformat()), actor=agents[i % 2])
            contracts.sign_contract(s, c.id, actor=agents[i % 2])
            if i % 3 == 0:  # a third fell due weeks ago and is still unpaid: overdue with a late fee
                s.execute(update(ScheduleItem).where(ScheduleItem.contract_id == c.id, ScheduleItem.position == 1,
                                                     ScheduleItem.superseded_at.is_(None))
                          .values(due_date=today - timedelta(days=20)))
            if i % 50 == 49:
                s.commit()
        s.commit()
        from pos.extensions import refresh_statistics

        refresh_statistics(s)  # as the evening's sign-off leaves them (PostgreSQL here runs no autovacuum)
        s.commit()
        spare = units[wanted:]
        print(f"-- {label}: {len(units)} units, {wanted} contracts made in {time.perf_counter() - started:.0f} s")
        first_agreement = s.scalar(select(Agreement.id).order_by(Agreement.id))
        building_id = buildings[0].id
        # agreements awaiting their deposit, for the finance desk's POSTs
        waiting = []
        for i, unit in enumerate(spare[:120]):
            waiting.append(agreements.create_agreement(s, unit.id, _typed(unit, wanted + i), actor=agents[0]).id)
        s.commit()
        fresh_units = [u.id for u in spare[120:]]
        payments_before = s.scalar(select(EscrowPayment.id).order_by(EscrowPayment.id.desc()).limit(1))

    ok = True
    agent_client, desk_client, manager_client = app.test_client(), app.test_client(), app.test_client()
    with app.app_context():
        _login(agent_client, "C001")
        _login(desk_client, "S001")
        _login(manager_client, "M001")

    def get(client, path):
        def call():
            resp = client.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
        return call

    ok &= report(f"{label}: board, 500-unit building", measure(get(agent_client, f"/property/buildings/{building_id}"),
                                                               runs=60, warmup=3), 100)
    ok &= report(f"{label}: an agreement's page", measure(get(agent_client, f"/property/agreements/{first_agreement}"),
                                                          runs=100), 100)
    ok &= report(f"{label}: collections page (manager)", measure(get(manager_client, "/property/collections"),
                                                                 runs=100, warmup=5), 100)
    units_left = iter(fresh_units)

    def draft():
        unit_id = next(units_left)
        with app.app_context():
            unit = db.session.get(Unit, unit_id)
            form = _form(unit)
        resp = agent_client.post(f"/property/agreements/new?unit={unit_id}", data=form)
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]

    ok &= report(f"{label}: draft an agreement (POST)", measure(draft, runs=min(100, len(fresh_units) - 5),
                                                                warmup=3), 100)
    waiting_ids = iter(waiting)
    counter = iter(range(10**6))

    def pay():
        n = next(counter)
        resp = desk_client.post(f"/property/escrow/agreements/{next(waiting_ids)}",
                                data={"item": "deposit", "amount": "50000", "method": "card",
                                      "reference": f"BENCH{n:05d}", "once_key": f"bench-{label}-{n}"})
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]

    ok &= report(f"{label}: a deposit at the finance desk (POST)", measure(pay, runs=100, warmup=5), 100)
    with app.app_context():
        taken = db.session.scalar(select(EscrowPayment.id).order_by(EscrowPayment.id.desc()).limit(1))
        assert taken > payments_before
    return ok


def _typed(unit, i):
    from pos.clock import local_today
    from pos.property import agreements

    return agreements.AgreementInput(
        buyers=[agreements.BuyerInput(name=f"买受人{i}", id_number="11010519491231002X", phone="13800138000",
                                      address="上海市")],
        total_price=str(unit.list_total), deposit="50000",
        contract_deadline=(local_today() + timedelta(days=7)).isoformat(), payment_method="instalments",
        signing_place="售楼处")


def _form(unit):
    from pos.clock import local_today

    return {"total_price": str(unit.list_total), "deposit": "50000",
            "contract_deadline": (local_today() + timedelta(days=7)).isoformat(), "payment_method": "lump_sum",
            "signing_place": "售楼处", "buyer_name_0": "王五", "buyer_id_type_0": "resident_id",
            "buyer_id_number_0": "11010519491231002X", "buyer_phone_0": "13800138000", "buyer_address_0": "上海市"}


def run() -> bool:
    return on_both_databases(_run_on)
