"""The voucher and the payment receipt print from the cash desk to a network printer
(a loopback listener standing in for one), preview in the browser, and as PDFs."""

import time

import pytest
from playwright.sync_api import expect

from printing.escpos import decode_text
from tests.e2e.conftest import login_with_keypad
from tests.e2e.test_cashier import open_voucher, switch_to, to_cash_desk, write_up
from tests.printers.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e


def wait_for(fake, n, seconds=15):
    deadline = time.monotonic() + seconds
    while len(fake.received) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    return [decode_text(d) for d in fake.received]


def test_receipt_and_copies_print_on_the_station_printer(page, live_server):
    fake = FakePrinter().start()
    live_server.start_print_worker()
    try:
        login_with_keypad(page, live_server.url, "王建国", "9001")
        page.get_by_test_id("home-title").wait_for()
        page.goto(live_server.url + "/manage/printers")
        page.get_by_label("名称").fill("一号收银台打印机")
        page.get_by_label("连接方式").select_option("network")
        page.get_by_label("地址").fill(f"127.0.0.1:{fake.port}")
        page.get_by_label("纸宽").select_option("58")
        page.get_by_label("收银台").select_option(label="收银台 1")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("printers")).to_contain_text("一号收银台打印机")

        no, _total = write_up(page, live_server, "除味剂")
        to_cash_desk(page, live_server)
        expect(page.get_by_test_id("printer-badge")).to_contain_text("一号收银台打印机")
        open_voucher(page, no)
        page.get_by_label("……或直接输入现金金额").fill("50")
        page.get_by_test_id("confirm-payment").click()
        expect(page.get_by_test_id("announce-text")).to_contain_text("找您 11.00 元")

        printed = wait_for(fake, 1)
        assert len(printed) == 1 and "收款收据" in printed[0] and no in printed[0] and "￥11.00" in printed[0]

        page.get_by_role("button", name="打印三联").click()
        printed = wait_for(fake, 4)
        assert len(printed) == 4
        for label in ("财务联", "存根联", "客户联"):
            assert sum(label in p and "收款专用章" in p and no in p for p in printed[1:]) == 1

        # preview in the browser, and reprint marked 重印
        page.goto(live_server.url + "/printers/jobs")
        jobs = page.get_by_test_id("jobs")
        expect(jobs).to_contain_text("已打印")
        jobs.locator("tr", has_text="客户联").get_by_role("link", name="预览").click()
        expect(page.get_by_test_id("receipt-preview")).to_contain_text("客户联")
        page.get_by_role("button", name="重印").click()
        expect(page.get_by_test_id("receipt-preview")).to_contain_text("重印 COPY 1")
        printed = wait_for(fake, 5)
        assert "重印 COPY 1" in printed[4]

        # and as PDFs
        for url in (f"/vouchers/{no}.pdf?copy=customer", "/cashier/payments/1/receipt.pdf"):
            resp = page.request.get(live_server.url + url)
            assert resp.status == 200 and resp.body().startswith(b"%PDF")
    finally:
        fake.stop()
    switch_to(page, live_server, "陈静", "2001")
