"""Printing: a 20-line voucher to ESC/POS bytes, a one-page A5 PDF, the spooler's pace.

Targets (issue: printing): ESC/POS rendering of a 20-line voucher < 5 ms; a one-page
A5 PDF < 200 ms; the spooler keeps up with 20 jobs/s to a loopback printer.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.common import measure, report
from printing.documents import QR, Cut, Document, KeyValue, Separator, Stamp, Text, Title
from printing.escpos import PrinterProfile, render


def voucher(lines: int = 20) -> Document:
    blocks = [Title("锦华家居电器展厅"), Text("销售凭证", align="center", bold=True),
              KeyValue("单号", "V20261122-0007")]
    for n in range(lines):
        blocks += [Text(f"{n + 1}. 海尔对开门冰箱 海尔 BCD-100A 540升 一级能效 星空灰"),
                   KeyValue("   2台 × ￥4,998.00", "￥9,996.00")]
    blocks += [Separator(), KeyValue("合计", "￥199,920.00", bold=True, double=True),
               Text("大写：人民币壹拾玖万玖仟玖佰贰拾元整"), QR("V20261122-0007"),
               Stamp(["收款专用章", "陈静", "2026-11-22 14:05"]), Cut()]
    return Document(blocks=blocks, copy_label="客户联")


def run() -> bool:
    doc = voucher()
    ok = report("20-line voucher → ESC/POS bytes (80 mm)", measure(lambda: render(doc, PrinterProfile()), runs=300),
                5)

    from printing.pdf import html_to_pdf

    rows = "".join(f"<tr><td>{n}</td><td>海尔对开门冰箱</td><td>BCD-100A</td><td>2</td><td>￥9,996.00</td></tr>"
                   for n in range(12))
    html = ("<html><head><style>@page{size:A5 landscape;margin:10mm}"
            " body{font-family:'Noto Sans CJK SC Print','Noto Sans CJK SC'}"
            "table{width:100%;border-collapse:collapse} td{border:1px solid #000}</style></head><body>"
            f"<h1>销售凭证</h1><table>{rows}</table><p>合计大写：人民币壹拾玖万玖仟玖佰贰拾元整</p></body></html>")
    ok &= report("one-page A5 PDF (WeasyPrint)", measure(lambda: html_to_pdf(html), runs=20, warmup=2), 200)

    # the spooler: 200 jobs to a loopback printer
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pos import create_app
    from pos.cli import upgrade_database
    from pos.extensions import db
    from pos.printers import services
    from pos.printers.models import Printer
    from tests.printers.fake_printer import FakePrinter

    folder = Path(tempfile.mkdtemp())
    app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench"})
    fake = FakePrinter().start()
    try:
        with app.app_context():
            upgrade_database()
            printer = Printer(name="bench", connector="network", address=f"127.0.0.1:{fake.port}", paper_mm=80)
            db.session.add(printer)
            for n in range(200):
                services.enqueue(db.session, voucher(3), kind="receipt", title=f"job {n}", printer=printer)
            db.session.commit()
            started = time.perf_counter()
            handled = services.run_worker(lambda: db.session, once=True)
            elapsed = time.perf_counter() - started
        deadline = time.monotonic() + 5
        while len(fake.received) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        fake.stop()
    rate = handled / elapsed
    arrived = len(fake.received)
    print(f"{'spooler to a loopback printer':<55} {rate:8.1f} jobs/s   ({handled} sent, {arrived} arrived)   "
          f"target ≥ 20 jobs/s   {'OK' if rate >= 20 and arrived == 200 else 'MISSED'}")
    return ok and rate >= 20 and arrived == 200
