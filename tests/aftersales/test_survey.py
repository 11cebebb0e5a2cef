"""The customer's own answer (扫码评价): the signed token, the public page (no login, nothing that names
the customer, no prices), one answer per sale (a second refused, nothing saved), a forged token
refused, the per-address rate limit, an unsatisfied answer opening a ticket, and the QR on the
receipt within the paper's columns."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pos.aftersales import survey, visits
from pos.aftersales.models import Ticket
from pos.aftersales.visit_models import ReturnVisit, SatisfactionAnswer, SurveyThrottle
from pos.shop import services as shop
from tests.aftersales.test_visits import _hand_over
from tests.helpers import count, row_counts, text


def _counts(session) -> dict:
    """Every table but the throttle (a refused answer still counts against its address)."""
    return {k: v for k, v in row_counts(session).items() if k != "aftersales_survey_throttle"}


@pytest.fixture
def sold(session, paid):
    return paid()


@pytest.fixture
def url(sold):
    return f"/s/{survey.token_for(sold.id)}"


def test_the_token_is_signed(app, sold):
    token = survey.token_for(sold.id)
    assert survey.voucher_id_of(token) == sold.id
    other = survey.token_for(sold.id + 1)
    head, sig = token.split(".")
    flipped = f"{head}.{sig[:-1]}{'B' if sig[-1] == 'A' else 'A'}"
    for forged in [f"{sold.id + 1}.{sig}", f"{head}.{other.split('.')[1]}", flipped, f"0{token}",
                   head, "", "x.y", f"{head}.{sig}.", "１" + token, f"-{token}", "9" * 30 + "." + sig]:
        assert survey.voucher_id_of(forged) is None, forged
    app.config["SECRET_KEY"] = "another-secret"  # another shop's token is not ours
    assert survey.voucher_id_of(token) is None


def test_the_page_shows_what_was_bought_and_nothing_else(client, session, sold, url):
    before = _counts(session), count(session, SurveyThrottle)
    resp = client.get(url)
    body = text(resp)
    assert resp.status_code == 200
    assert sold.lines[0].product_name in body and shop.showroom(session).name in body
    for secret in ["13800138001", "8001", "周先生", sold.no, "1,130", "1130", "logout", "/staff"]:
        assert secret not in body, secret
    assert "<script" not in body and "style=" not in body
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert (_counts(session), count(session, SurveyThrottle)) == before  # a GET writes nothing


def test_one_answer_per_sale(client, session, sold, url):
    resp = client.post(url, data={"rating": "satisfied", "comment": "服务很好"})
    assert resp.status_code == 200 and "survey-thanks" in text(resp)
    answer = session.scalar(select(SatisfactionAnswer).where(SatisfactionAnswer.voucher_id == sold.id))
    assert answer.channel == "survey" and answer.rating == "satisfied" and answer.recorded_by_id is None
    assert answer.staff_id == sold.clerk_id
    before = _counts(session)
    again = client.post(url, data={"rating": "unsatisfied", "comment": "改主意了"})
    assert again.status_code == 409
    assert _counts(session) == before
    assert "survey-answered" in text(client.get(url)) and "survey-form" not in text(client.get(url))


def test_a_forged_token_is_refused_and_nothing_saved(client, session, sold, url):
    forged = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    assert client.get(forged).status_code == 404
    before = _counts(session)
    for bad in [forged, f"/s/{sold.id}", "/s/x", f"/s/{sold.id + 999}.{url.rsplit('.', 1)[1]}"]:
        resp = client.post(bad, data={"rating": "satisfied"})
        assert resp.status_code == 404, bad
        assert sold.lines[0].product_name not in text(resp)
    assert _counts(session) == before


@pytest.mark.parametrize("form", [{}, {"rating": "great"}, {"rating": "satisfied", "comment": "好" * 501}])
def test_bad_answers_are_refused(client, session, url, form):
    before = _counts(session)
    resp = client.post(url, data=form)
    assert resp.status_code == 422
    assert _counts(session) == before


def test_rate_limited_per_address(app, client, session, sold, url):
    app.config.update(POS_SURVEY_TRIES=3, POS_SURVEY_WINDOW_SECONDS=600)
    forged = f"/s/{sold.id}.AAAAAAAAAAAAAAAAAAAAAA"
    for _ in range(3):
        assert client.post(forged, data={"rating": "satisfied"}).status_code == 404
    before = _counts(session)
    blocked = client.post(url, data={"rating": "satisfied"})  # a good token, but this address is over its limit
    assert blocked.status_code == 429
    assert client.get(url).status_code == 429
    assert _counts(session) == before
    other = app.test_client()
    assert other.post(url, data={"rating": "satisfied"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_the_window_runs_out(app, client, session, sold, url, monkeypatch):
    from datetime import timedelta

    from pos import clock

    app.config.update(POS_SURVEY_TRIES=1, POS_SURVEY_WINDOW_SECONDS=600)
    assert client.post(f"/s/{sold.id}.x", data={"rating": "satisfied"}).status_code == 404
    assert client.post(url, data={"rating": "satisfied"}).status_code == 429
    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(minutes=11))
    assert client.post(url, data={"rating": "satisfied"}).status_code == 200


def test_unsatisfied_opens_a_ticket_and_closes_the_visit(client, session, sold, url, manager):
    _hand_over(session, sold, manager)
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == sold.id))
    resp = client.post(url, data={"rating": "unsatisfied", "comment": "安装师傅迟到"})
    assert resp.status_code == 200
    session.expire_all()
    answer = session.scalar(select(SatisfactionAnswer).where(SatisfactionAnswer.voucher_id == sold.id))
    ticket = session.get(Ticket, answer.complaint_id)
    assert ticket.kind == "complaint" and ticket.source == "survey" and "安装师傅迟到" in ticket.description
    assert answer.visit_id == visit.id and answer.staff_id == visit.staff_id
    visit = session.get(ReturnVisit, visit.id)
    assert visit.state == "answered" and visits.due_lists(session, manager) == ([], [])


def test_after_the_call_the_survey_is_refused(client, session, sold, url, manager):
    _hand_over(session, sold, manager)
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == sold.id))
    visits.record_result(session, visit.id, actor=manager, outcome="satisfied")
    session.commit()
    before = _counts(session)
    assert client.post(url, data={"rating": "neutral"}).status_code == 409
    assert _counts(session) == before


def test_the_receipt_carries_the_survey_qr_within_the_paper(session, paid):
    from pos.cashier.documents import receipt_document
    from pos.cashier.models import Payment
    from printing.documents import COLUMNS, QR, layout, text_width

    v = paid()
    payment = session.scalar(select(Payment).where(Payment.voucher_id == v.id))
    assert not [b for b in receipt_document(payment, "展厅").blocks if isinstance(b, QR) and "/s/" in b.data]
    survey.set_base_url(session, "http://192.168.1.10:8000/")
    doc = receipt_document(payment, "展厅")
    qrs = [b.data for b in doc.blocks if isinstance(b, QR)]
    assert qrs == [v.no, f"http://192.168.1.10:8000/s/{survey.token_for(v.id)}"]
    assert survey.voucher_id_of(qrs[1].rsplit("/", 1)[1]) == v.id
    for paper in (58, 80):
        for line in layout(doc, paper):
            if line.kind == "text":
                assert text_width(line.text) * (2 if line.double else 1) <= COLUMNS[paper], line.text
