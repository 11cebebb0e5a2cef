"""Instructions a sale: the app's work counted by valgrind (callgrind), the same on any machine.

Run: ``python -m bench instructions [--db pg|sqlite] [--products N] [--warm N] [--sales N] [--per-request]``
(valgrind from Debian's package of that name; ``POS_LOAD_CODE=<tree>`` measures another tree, as
``bench load`` does).

The machines these rounds ran on differ 3–4 times in speed, and one machine's speed drifts by 30 %
within minutes, so a millisecond figure from one run cannot be set beside another's, and a cut of
a few per cent drowns in the noise. This counts instructions instead: the real server (``pos serve``,
gunicorn, one worker and one thread, so that one process does all the work) runs under callgrind; a
tablet of ``bench load`` does ``--warm`` sales (imports, compiled statements, prepared statements),
then the worker's counters are zeroed, ``--sales`` more are done, and the counters are read. The same
code and the same sales give the same count to within ≈ 0.1 %, whatever the machine is doing.

What it does not count, and why it is not the whole CPU: the kernel's work (system calls: a few ms a
sale), the database server's own process on PostgreSQL (``bench load`` measures it), and how long an
instruction takes — which differs most between Python and tight loops in C. Before round 5 every
login hashed the PIN: 797 M of that code's 1,459 M instructions a sale, but only 28 % of its time. So
a ratio of instructions between two versions is not their ratio of time when one of them spends its
instructions in such a loop (round 7: 0.23 in instructions, 0.36 in time; without the login 0.49 and
≈ 0.41). Use it to see a change's effect on the app's own work, and ``bench load`` for the time.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench import load
from bench.common import pg_database


def _summary(path: str) -> int:
    """The total instructions of one callgrind dump (its ``summary:`` line)."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no summary in {path}")


class _Counted(load.Tablet):
    """A tablet that asks callgrind for a dump after each request (``--per-request``)."""

    def __init__(self, *args, dump, **kwargs):
        super().__init__(*args, **kwargs)
        self.dump, self.kinds = dump, []

    def request(self, kind, *args, **kwargs):
        try:
            return super().request(kind, *args, **kwargs)
        finally:
            if self.dump is not None:
                self.kinds.append(kind)
                self.dump()


def measure(shop: load.Shop, *, warm: int, sales: int, per_request: bool) -> dict:
    out = Path(tempfile.mkdtemp(prefix="pos-callgrind-"))
    port = load.free_port()
    env = {**shop.env, "POS_WORKERS": "1", "POS_THREADS": "1", "POS_PDF_RENDERER": "0"}
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={out}/cg.%p",
         "--dump-line=no", "--dump-instr=no", sys.executable, load.POS, "serve", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, cwd=load.ROOT, stdout=subprocess.DEVNULL, stderr=open(out / "server.log", "w"),
    )
    try:
        deadline = time.monotonic() + 900  # the imports alone take a minute or two under valgrind
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((out / "server.log").read_text()[-2000:]) from None
                time.sleep(1)
        worker = None
        while worker is None and time.monotonic() < deadline:
            kids = load.children(server.pid)
            worker = kids[0] if len(kids) == 1 else None
            time.sleep(0.5)
        if worker is None:
            raise RuntimeError("no gunicorn worker")

        def control(flag: str) -> None:
            subprocess.run(["callgrind_control", flag, str(worker)], check=True, capture_output=True)

        def dumps() -> list[str]:  # cg.<pid>.1, .2, … in order
            found = glob.glob(str(out / f"cg.{worker}.*"))
            return sorted(found, key=lambda p: int(p.rsplit(".", 1)[1]))

        staff_id, pin = shop.staff[0]
        log: list = []
        tablet = _Counted(port, staff_id, pin, log, random.Random(7), dump=None)
        started = time.monotonic()
        for _ in range(warm):
            tablet.sale()
        warm_s = time.monotonic() - started
        control("-z")
        first = len(log)
        if per_request:
            tablet.dump = lambda: control("-d")
        started = time.monotonic()
        for _ in range(sales):
            tablet.sale()
        if not per_request:
            control("-d")
        measured_s = time.monotonic() - started
        files = dumps()
        counts = [_summary(p) for p in files]
        total = sum(counts)
        by_kind: dict[str, list[int]] = defaultdict(list)
        if per_request:
            if len(counts) != len(tablet.kinds):
                raise RuntimeError(f"{len(counts)} dumps for {len(tablet.kinds)} requests")
            for kind, n in zip(tablet.kinds, counts, strict=True):
                by_kind[kind].append(n)
        requests = log[first:]
        return {
            "sales": sales,
            "warm_sales": warm,
            "minstr_per_sale": round(total / sales / 1e6, 1),
            "requests_per_sale": round(len(requests) / sales, 1),
            "statements_per_sale": round(sum(r[3] for r in requests) / sales, 1),
            "errors": [r for r in requests if r[2] >= 400],
            "minstr_per_request": {k: round(sum(v) / len(v) / 1e6, 2) for k, v in by_kind.items()},
            "minstr_per_sale_by_request": {k: round(sum(v) / sales / 1e6, 1) for k, v in by_kind.items()},
            "seconds": {"warm": round(warm_s), "measured": round(measured_s)},
        }
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench instructions")
    parser.add_argument("--db", default="pg", choices=("sqlite", "pg"))
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--warm", type=int, default=3, help="sales before counting")
    parser.add_argument("--sales", type=int, default=5, help="sales counted")
    parser.add_argument("--per-request", action="store_true", help="also count each request type")
    args = parser.parse_args(argv)
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed: apt-get install valgrind")
        return 2
    sys.path.insert(0, str(load.ROOT))
    with pg_database("pos_load") if args.db == "pg" else contextlib.nullcontext() as url:
        shop = load.Shop("PostgreSQL" if url else "SQLite", url, args.products, 1)
        try:
            shop.build()
            r = measure(shop, warm=args.warm, sales=args.sales, per_request=args.per_request)
        finally:
            shop.close()
    print(f"-- {shop.label}, code {load.ROOT}: {r['minstr_per_sale']} M instructions a sale in the app "
          f"({r['sales']} sales after {r['warm_sales']}; {r['requests_per_sale']} requests, "
          f"{r['statements_per_sale']} statements a sale; errors {len(r['errors'])})")
    for kind, per_sale in sorted(r["minstr_per_sale_by_request"].items(), key=lambda kv: -kv[1]):
        print(f"   {kind:<14} {r['minstr_per_request'][kind]:7.2f} M a request  {per_sale:7.1f} M a sale")
    return 0
