"""Two versions of the code, the same sale, interleaved: the CPU a sale of each, on a machine whose speed drifts.

Run: ``python -m bench ab [--sales N] [--products N] [--warm N] TREE_A TREE_B`` — each TREE a checkout of the
code (``.`` for this one; the code of the day issue 19 was filed: ``git archive b523ea9`` into a folder,
translations compiled, as bench/README.md's "Rerun" says).

Why: this machine's speed swings by a factor of two within minutes, so two ``bench load`` runs one after
the other differ by 20 % whatever the code; and ``bench instructions`` counts instructions, which are not
time when one version spends them in tight C loops (round 7). Here each tree's app runs in a process of
its own — in-process, werkzeug, one thread, its own PostgreSQL database built by ``bench.load.Shop`` (the
same shop for both, each tree's own schema) — and one tablet does a sale on A, then one on B, then B, A, …
so that a slow minute slows both alike. Each answer carries the CPU of the thread that served it
(``time.thread_time`` over the whole WSGI call) and of the database's server processes meanwhile
(``/proc/<pid>/schedstat`` of the database's backends); a sale's CPU is their sum over its requests.

The tree's own ``pos.cli.warm_before_fork`` is run where it has one, as ``pos serve`` does before its
workers fork (templates compiled, the heap frozen, the collector's thresholds). What it leaves out: gunicorn
(≈ 5 % of a worker's CPU), the print spooler (the receipt's printing) and the PDF renderer.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # this checkout: the harness's own code


def serve(code: Path, products: int) -> None:
    """In the child process: build the shop with ``code``'s app, serve it, print ``READY port staff pin``.
    Stopped with SIGTERM, it drops the database it made."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwinds: the shop closed, its database dropped
    if code != HERE:
        os.environ["POS_LOAD_CODE"] = str(code)  # bench.load: a shop (and a cached template) of its own
    from bench import load
    from bench.common import pg_database

    sys.path.insert(0, str(code))  # the app under test: ``pos`` from that tree
    os.chdir(code)
    import psycopg
    from werkzeug.serving import make_server

    with pg_database("pos_ab") as url:
        shop = load.Shop("PostgreSQL", url, products, 1)
        shop.build()
        os.environ.update({k: v for k, v in shop.env.items() if k.startswith("POS_") or k == "SECRET_KEY"})
        app = shop.app()
        name = url.rsplit("/", 1)[1].split("?")[0]
        admin = psycopg.connect(os.environ.get("POS_BENCH_PG_ADMIN", "host=127.0.0.1 user=postgres dbname=postgres"),
                                autocommit=True)

        def database_ns() -> int:
            total = 0
            for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)):
                try:
                    total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
                except OSError:  # a backend that has just gone
                    pass
            return total

        inner = app.wsgi_app

        def counted(environ, start_response):
            answer = {}
            before_db = database_ns()
            started = time.thread_time_ns()
            body = list(inner(environ, lambda status, headers, exc_info=None: answer.update(s=status, h=headers)))
            app_us = (time.thread_time_ns() - started) // 1000
            db_us = (database_ns() - before_db) // 1000
            start_response(answer["s"], [*answer["h"], ("X-App-Us", str(app_us)), ("X-Db-Us", str(db_us))])
            return body

        app.wsgi_app = counted
        try:
            from pos.cli import warm_before_fork  # the tree's own, where it has one
        except ImportError:
            warm_before_fork = None
        if warm_before_fork is not None:
            warm_before_fork(app)
        server = make_server("127.0.0.1", 0, app, threaded=False)
        staff_id, pin = shop.staff[0]
        print(f"READY {server.server_port} {staff_id} {pin}", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
            admin.close()
            shop.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ab")
    parser.add_argument("a", help="a checkout of the code (A)")
    parser.add_argument("b", help="another checkout (B)")
    parser.add_argument("--sales", type=int, default=30, help="sales on each, counted")
    parser.add_argument("--warm", type=int, default=5, help="sales on each before counting")
    parser.add_argument("--products", type=int, default=50_000)
    args = parser.parse_args(argv)
    from bench import load

    trees = [Path(args.a).resolve(), Path(args.b).resolve()]
    servers, logs = [], []
    for i, tree in enumerate(trees):
        log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-ab-{i}.log", "w")
        logs.append(log.name)
        servers.append(subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); from bench.ab import serve; "
                                   f"from pathlib import Path; serve(Path({str(tree)!r}), {args.products})"],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=tree))
    try:
        tablets = []
        for server, log_name in zip(servers, logs, strict=True):
            line = ""
            while not line.startswith("READY"):
                line = server.stdout.readline()
                if not line:
                    raise SystemExit(f"a server stopped before it was ready: {log_name}")
            _, port, staff_id, pin = line.split()
            tablet = load.Tablet(int(port), int(staff_id), pin, [], random.Random(7))
            tablets.append(tablet)
        cpu: list[list[tuple[float, float, int]]] = [[], []]

        def sale(i: int) -> tuple[float, float, int]:
            tablet = tablets[i]
            answers = []

            def request(kind, method, path, data=None, *, htmx=False, expect=(200,)):
                resp, text, end = load.Tablet.request(tablet, kind, method, path, data, htmx=htmx, expect=expect)
                answers.append((int(resp.headers.get("X-App-Us", 0)), int(resp.headers.get("X-Db-Us", 0))))
                return resp, text, end

            tablet.request = request
            try:
                tablet.sale()
            finally:
                del tablet.request
            return sum(a for a, _ in answers) / 1000, sum(d for _, d in answers) / 1000, len(answers)

        for _ in range(args.warm):
            for i in (0, 1):
                sale(i)
        for n in range(args.sales):
            for i in ((0, 1) if n % 2 == 0 else (1, 0)):  # A B, B A, …: a slow minute slows both
                cpu[i].append(sale(i))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(60)
    print(f"-- {args.sales} sales on each, interleaved, PostgreSQL, {args.products:,} products; CPU a sale in ms:")
    for tree, runs in zip(trees, cpu, strict=True):
        app, db = [a for a, _d, _n in runs], [d for _a, d, _n in runs]
        print(f"   {tree}: app {statistics.mean(app):.1f} + database {statistics.mean(db):.1f} = "
              f"{statistics.mean(app) + statistics.mean(db):.1f} (median a sale "
              f"{statistics.median([a + d for a, d, _n in runs]):.1f}), {runs[0][2]} requests a sale")
    pairs = [(b[0] + b[1]) / (a[0] + a[1]) for a, b in zip(cpu[0], cpu[1], strict=True)]
    mean_a = statistics.mean([a + d for a, d, _n in cpu[0]])
    mean_b = statistics.mean([a + d for a, d, _n in cpu[1]])
    app_ratio = statistics.mean([a for a, _d, _n in cpu[1]]) / statistics.mean([a for a, _d, _n in cpu[0]])
    print(f"   B / A: {mean_b / mean_a:.3f} (app {app_ratio:.3f}); sale by sale: median "
          f"{statistics.median(pairs):.3f}, quartiles {statistics.quantiles(pairs, n=4)[0]:.3f}–"
          f"{statistics.quantiles(pairs, n=4)[2]:.3f}")
    return 0
