"""唱收唱找 is heard by the customer: the announcement (screen and speech) is in the shop's language
(setting ``announce.language``, default Chinese), whatever language the cashier reads, and its
amounts are grouped like every other amount (12,900.00)."""

from decimal import Decimal

import pytest

from pos.cashier import services
from pos.shop import services as shop
from tests.conftest import login_as
from tests.helpers import shown_at


def text(resp):
    return resp.get_data(as_text=True)


def test_the_announcement_groups_thousands_and_defaults_to_chinese(app):
    said = services.announcement(Decimal("13000"), Decimal("12900"), Decimal("100"))
    assert said == "收您 13,000.00 元，应收 12,900.00 元，找您 100.00 元。"
    said = services.announcement(Decimal("13000"), Decimal("12900"), Decimal("100"), language="en")
    assert said.startswith("Received 13,000.00 yuan") and "12,900.00" in said


@pytest.fixture
def paid_payment(client, session, station, write_up):
    login_as(client, "S001")
    client.post("/cashier/shift/open", data={"station": station.id})
    v = write_up("12868.00")
    resp = client.post(f"/cashier/pay/{v.no}", data={"once_key": "k-announce", "count_10000": "129"})
    return shown_at(resp)


def test_an_english_cashier_still_announces_in_chinese(client, paid_payment):
    with client.session_transaction() as s:
        s["lang"] = "en"
    page = text(client.get(paid_payment))
    assert "Give back" in page  # the cashier reads English…
    assert "收您 12,900.00 元，应收 12,868.00 元，找您 32.00 元。" in page  # …the customer hears Chinese
    assert 'data-speak-lang="zh-CN"' in page


def test_the_shop_may_announce_in_english(client, session, paid_payment):
    shop.set_announce_language(session, "en")
    session.commit()
    page = text(client.get(paid_payment))  # a Chinese screen, an English shop language
    assert "Received 12,900.00 yuan, 12,868.00 yuan due, your change is 32.00 yuan." in page
    assert 'data-speak-lang="en-US"' in page


def test_the_manager_sets_the_language_and_a_bad_one_is_refused(as_manager, session):
    page = text(as_manager.get("/manage/settings"))
    assert 'name="announce_language"' in page and "中文" in page
    data = {"clerk": "10", "cashier": "0", "manager": "100", "delivery": "0", "invoice_prefix": "FP{year}", "vat": "1"}
    resp = as_manager.post("/manage/settings", data={**data, "announce_language": "fr"})
    assert resp.status_code == 422 and "播报语言" in text(resp)
    assert shop.announce_language(session) == "zh_CN"
    resp = as_manager.post("/manage/settings", data={**data, "announce_language": "en"})
    assert resp.status_code == 303
    session.expire_all()
    assert shop.announce_language(session) == "en"
