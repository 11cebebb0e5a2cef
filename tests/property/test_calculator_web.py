"""The mortgage calculator screen and its A4 print: the plan shown, bad input refused with its message."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_as

URL = "/property/mortgage"
TEXTBOOK = {"loan_type": "commercial", "amount": "1000000", "rate": "4.9", "years": "30",
            "method": "equal_instalment"}


@pytest.fixture
def agent(client):
    """The demo agent, reading English (the messages checked below are the English ids)."""
    login_as(client, "C001")
    client.post("/lang", data={"lang": "en"})
    return client


def test_the_textbook_loan_month_by_month(agent):
    resp = agent.get(URL, query_string=TEXTBOOK)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-testid="first-payment">￥5,307.27<' in html
    assert 'data-testid="total-interest">￥910,615.12<' in html
    # 360 months, the first and the last with their balances
    body = html.split('data-testid="plan"')[1]
    assert body.count("<tr>") == 1 + 360 + 1  # header, months, totals
    assert "￥998,776.06" in body and "￥5,305.19" in body


def test_equal_principal_and_combined_loans(agent):
    resp = agent.get(URL, query_string={**TEXTBOOK, "method": "equal_principal"})
    html = resp.get_data(as_text=True)
    assert 'data-testid="first-payment">￥6,861.11<' in html
    assert "￥11.34" in html  # the monthly fall
    resp = agent.get(URL, query_string={"loan_type": "combined", "amount": "600000", "rate": "4.9",
                                        "fund_amount": "400000", "fund_rate": "3.25", "years": "30",
                                        "method": "equal_instalment"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-testid="first-payment">￥4,925.19<' in html  # 3184.36 + 1740.83
    assert "￥3,184.36" in html and "￥1,740.83" in html


def test_the_empty_form_shows_an_example(agent):
    resp = agent.get(URL)
    assert resp.status_code == 200
    assert 'data-testid="mortgage-form"' in resp.get_data(as_text=True)


def test_the_htmx_form_gets_just_the_result(agent):
    resp = agent.get(URL, query_string=TEXTBOOK, headers={"HX-Request": "true", "HX-Target": "mortgage-result"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<html" not in html and 'data-testid="plan"' in html


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"rate": "25"}, "rate", "at most 24%"),
    ({"rate": "0"}, "rate", "more than zero"),
    ({"rate": "abc"}, "rate", "per cent"),
    ({"years": "31"}, "years", "out of range"),
    ({"years": "0"}, "years", "out of range"),
    ({"years": "2.5"}, "years", "whole number"),
    ({"amount": "0"}, "amount", "more than zero"),
    ({"amount": "5000"}, "amount", "at least"),
    ({"amount": "200000000"}, "amount", "at most"),
    ({"amount": "1000000.123"}, "amount", "decimals"),
    ({"method": "balloon"}, "method", "equal instalment"),
    ({"loan_type": "cash"}, "loan_type", "kind of loan"),
    ({"loan_type": "combined", "fund_amount": ""}, "fund_amount", "Housing fund part"),
])
def test_bad_input_is_refused_with_its_message_and_kept(agent, change, field, words):
    typed = {**TEXTBOOK, **change}
    resp = agent.get(URL, query_string=typed)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert words in html
    assert 'data-testid="plan"' not in html
    # what was typed stays in the form
    for key in ("amount", "rate", "years"):
        assert f'value="{typed[key]}"' in html
    # the field at fault is marked
    marked = r'<label class="[^"]*invalid[^"]*">[^<]*(<span[^>]*>[^<]*</span>)*[^<]*<(input|select) name="'
    assert re.search(marked + re.escape(field) + '"', html), field


def test_the_screen_and_its_messages_are_chinese_by_default(client):
    login_as(client, "C001")
    resp = client.get(URL, query_string={**TEXTBOOK, "rate": "25"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "房贷计算器" in html and "年利率最高为24%。" in html
    resp = client.get(URL, query_string={**TEXTBOOK, "loan_type": "combined", "fund_amount": "8000"})
    assert resp.status_code == 422
    assert "贷款金额至少为￥10,000.00。" in resp.get_data(as_text=True)


def test_the_print_is_a_pdf(agent):
    resp = agent.get("/property/mortgage.pdf", query_string=TEXTBOOK)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    bad = agent.get("/property/mortgage.pdf", query_string={**TEXTBOOK, "rate": "30"})
    assert bad.status_code == 422


def test_cashiers_and_drivers_are_not_shown_the_calculator(client):
    login_as(client, "D001")
    assert client.get(URL).status_code == 403
    login_as(client, "M001")
    assert client.get(URL).status_code == 200
