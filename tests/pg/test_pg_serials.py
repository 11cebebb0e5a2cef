"""PostgreSQL: two handovers of the same serial number at once (two vouchers, two tablets) give one
winner; the other is refused with a 409 and a message, never a 500, and nothing of it is saved
(the partial unique index on live serials has the last word, in a savepoint)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.extensions import db
from pos.sales import pickup
from pos.sales import services as sales
from pos.sales.models import Pickup
from pos.sales.serial_models import SoldSerial
from tests.pg.test_pg_races import ROUNDS, _paid_voucher, _product, by_no, kinds, open_shift, race

pytestmark = pytest.mark.pg


def test_one_serial_handed_over_at_once_on_two_vouchers_has_one_winner(pg_app):
    session = db.session
    open_shift(session)
    product = _product(session)
    product.requires_serial = True
    product.warranty_months = 12
    product.stock_on_hand = Decimal(ROUNDS * 2)
    session.commit()
    for round_ in range(ROUNDS):
        a = _paid_voucher(session, f"{round_}a")
        b = _paid_voucher(session, f"{round_}b")
        serial = f"SN-RACE-{round_:03d}"

        def take(no, key, serial=serial):
            def call(s):
                line_id = sales.get_by_no(s, no).lines[0].id
                return pickup.hand_over(s, no, {line_id: "1"}, clerk=by_no(s, "C001"), once_key=key, shop_copy=True,
                                        serials={line_id: serial.lower()})
            return call

        outcomes = race(pg_app, [take(a, f"t{round_}a"), take(b, f"t{round_}b")])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        refused = next(o for o in outcomes if o[0] == "refused")
        assert refused[1] == 409 and serial in refused[2], outcomes
        session.expire_all()
        assert session.scalar(select(func.count(SoldSerial.id)).where(SoldSerial.serial == serial)) == 1
    assert session.scalar(select(func.count(Pickup.id))) == ROUNDS  # the loser's pickup was not saved
    session.expire_all()
    assert _product(session).stock_on_hand == ROUNDS  # nor its stock taken
