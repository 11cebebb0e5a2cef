"""The shop's settings are read in one statement (then kept by the worker), and a new value is read back at once."""

from pos.shop import services as shop
from tests.helpers import statements


def test_one_statement_a_transaction(session):
    shop.set_setting(session, "discount_limit.clerk", "12")
    session.commit()
    session.begin()
    with statements() as sent:
        assert shop.get_setting(session, "discount_limit.clerk") == "12"
        assert shop.get_setting(session, "invoice.vat") == "1"  # not stored: the default
        assert shop.max_cash_tendered(session) == 1000000
        assert shop.announce_language(session) == "zh_CN"
        assert shop.get_setting(session, "day.boundary") == "04:00"
    assert len([s for s, _ in sent if "setting" in s]) == 1, sent
    session.commit()
    with statements() as sent:  # kept by the worker until a setting changes (tests/core/test_stamps.py)
        assert shop.get_setting(session, "discount_limit.clerk") == "12"
    assert [s for s, _ in sent if "setting" in s] == [], sent


def test_a_new_value_is_read_back(session):
    assert shop.get_setting(session, "cash.max_tendered") == "1000000"
    shop.set_setting(session, "cash.max_tendered", "500")  # not stored before: a new row
    assert shop.max_cash_tendered(session) == 500
    shop.set_setting(session, "cash.max_tendered", "800")  # stored: the row changes
    assert shop.get_setting(session, "cash.max_tendered") == "800"
    session.rollback()
    assert shop.get_setting(session, "cash.max_tendered") == "1000000"
