"""The cash desk's screens as served: a blind count (no expected cash on the desk or the close
screen until the count is in), irreversible steps confirmed in an in-page dialog that says what is
frozen (no native confirm()), and the payment screen's one 拒收一张 per denomination, its bar with
the running total and 确认收款, the other tenders as buttons, and the check said to have passed."""

from decimal import Decimal

import pytest

from pos.cashier import services
from tests.conftest import login_as, staff_by_no


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def desk(client, session, open_shift, write_up):
    shift = open_shift()
    v = write_up("168.00")
    services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k-desk", counts={10000: 2})
    session.commit()
    login_as(client, "S001")
    return shift


def test_the_cash_desk_and_the_close_screen_do_not_show_the_expected_cash(client, desk, session):
    expected = services.summarise(session, desk).expected_cash
    assert expected == Decimal("418.00")  # float 250 + 200 received − 32 change: the figure to hide
    for url in ("/cashier", "/cashier/shift/close"):
        page = text(client.get(url))
        assert "￥418.00" not in page and "应有现金" not in page, url
        assert 'data-testid="blind-count"' in page
    assert "￥200.00" not in text(client.get("/cashier"))  # nor the cash taken, which would give it away


def test_closing_asks_in_an_in_page_dialog_saying_what_is_frozen(client, desk):
    page = text(client.get("/cashier/shift/close"))
    assert 'data-confirm="close-dialog"' in page and '<dialog id="close-dialog"' in page
    dialog = page.split('<dialog id="close-dialog"')[1].split("</dialog>")[0]
    assert "冻结" in dialog and "不能重新打开" in dialog and "长短款" in dialog
    assert "hx-confirm" not in page and "confirm(" not in page
    resp = client.post("/cashier/shift/close", data={"count_10000": "2", "count_1000": "8"})
    assert resp.status_code == 303  # the dialog is the page's: the server takes the form as it is
    report = text(client.get(resp.headers["Location"]))
    assert 'data-testid="expected">￥418.00<' in report  # shown once the count is in


def test_signing_off_asks_in_an_in_page_dialog(as_manager):
    page = text(as_manager.get("/reports/day"))
    assert 'data-confirm="sign-off-dialog"' in page
    dialog = page.split('<dialog id="sign-off-dialog"')[1].split("</dialog>")[0]
    assert "冻结" in dialog and "Z 报表" in dialog and "确认日结" in dialog


def test_the_payment_screen(client, session, open_shift, write_up):
    open_shift()
    v = write_up("168.00")
    login_as(client, "S001")
    page = text(client.get(f"/cashier/pay?no={v.no}"))
    assert page.count("data-reject-open") == 8 and 'select name="rej_reason_' not in page  # one action per note
    assert '<dialog id="reject-dialog"' in page
    bar = page.split('data-testid="pay-bar"')[1].split("</div>\n<dialog")[0]
    assert 'data-testid="confirm-payment"' in bar and 'form="pay-form"' in bar and 'id="tally"' in bar
    for kind in ("card", "wechat", "alipay", "cheque"):
        assert f'data-testid="tender-{kind}"' in page
    assert 'data-testid="check-passed"' in page and "已复核" in page
    # what the dialog fills in is what the form always took: a refused ￥100 with its reason
    tally = client.post(f"/cashier/pay/{v.no}/tally",
                        data={"count_10000": "3", "rej_10000": "1", "rej_reason_10000": "damaged"})
    assert "−￥100.00" in text(tally) and "￥32.00" in text(tally)


def test_the_x_report_keeps_the_count_blind_while_the_shift_is_open(client, desk, session, tmp_path):
    import subprocess

    from pos.cashier.documents import shift_document

    page = text(client.get(f"/cashier/shifts/{desk.id}"))  # the open shift's report, as its cashier
    assert "￥418.00" not in page and 'data-testid="blind-count"' in page
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(client.get(f"/cashier/shifts/{desk.id}.pdf").data)
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "418.00" not in words and "交班点数后显示" in words
    summary = services.summarise(session, desk)
    receipt = repr(shift_document(desk, summary, "店", blind=True).blocks)
    assert "418.00" not in receipt and "现金盲点" in receipt
    assert "418.00" in repr(shift_document(desk, summary, "店").blocks)  # the manager's copy has it
    login_as(client, "M001")
    assert "￥418.00" in text(client.get(f"/cashier/shifts/{desk.id}"))  # a manager sees it
