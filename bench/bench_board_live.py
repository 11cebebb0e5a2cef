"""The live sales-control board: what it costs to keep 20 open boards up to date, by htmx polling (what
the product does) and by server-sent events (measured here only, to choose), on the real server.

Both ways run on gunicorn as ``pos serve`` starts it (gthread). Polling: each board asks
``/property/buildings/<id>/changes?v=&t=`` every 1.5 s (204 when nothing changed). Server-sent
events: each board keeps one ``text/event-stream`` open; the server asks the same cheap question
for it every 0.5 s and pushes the changed cells (the same fragment) when there are some
(bench/sse_server.py adds that route to the app; the product does not have it).

An agent changes a unit every 2 s (holds one, then releases it, through the services in this
process). Measured for each way over the same time: the delay from the change's commit to each
board receiving the changed cell (p50/p95/max), the server's CPU (utime+stime of the gunicorn
workers, from /proc) per board per minute, requests per second, an agent's tap (GET of a unit's
panel) p95 while the boards are open, and the threads the boards hold. Then the same 20 boards on
the default ``pos serve`` (2 workers × 4 threads): polling still works; with SSE the streams take
every thread and the agent's tap waits (or times out).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

from bench.bench_property import BOARDS, POLL_S, Tablet, _prepare
from bench.bench_property import _serve as serve
from bench.common import bench_app, on_both_databases, report
from bench.load import children, loadavg, pct, proc_cpu

SECONDS = float(os.environ.get("POS_BENCH_LIVE_SECONDS", "40"))
CHANGE_EVERY = 2.0
CELL_RE = re.compile(r'id="unit-(\d+)"')


def _serve(folder: Path, url: str | None, mode: str, threads: int):
    return serve(folder, url, module="bench.sse_server" if mode == "sse" else "pos.cli", threads=threads,
                 log_name=f"server-{mode}-{threads}.log")


def _workers_cpu(proc) -> float:
    return sum(proc_cpu(pid) for pid in children(proc.pid))


def _logged_in(port, person, errors: list, label: str):
    """A tablet logged in as ``person``, or None (noted in ``errors``) when the server had no thread
    left to answer — every one held by the open event streams."""
    tablet = Tablet(port)
    try:
        tablet.login(*person)
    except OSError as e:
        errors.append(f"{label} {e.__class__.__name__}")
        return None
    return tablet


class _Seen:
    """When each board first received each (unit, change number)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times: list[float] = []  # delays, ms
        self.requests = 0
        self.errors: list[str] = []

    def saw(self, body: str, changes: dict, board_seen: set) -> None:
        now = time.perf_counter()
        with self.lock:
            for unit_id in CELL_RE.findall(body):
                change = changes.get(int(unit_id))
                if change and (int(unit_id), change[0]) not in board_seen:
                    board_seen.add((int(unit_id), change[0]))
                    self.times.append((now - change[1]) * 1000)


def _poll_board(port, viewer, building_id, version, changes, seen: _Seen, stop: threading.Event):
    tablet = _logged_in(port, viewer, seen.errors, "board's login")
    if tablet is None:
        return
    at, board_seen = int(time.time()), set()
    while not stop.is_set():
        status, body = tablet.request("GET", f"/property/buildings/{building_id}/changes?v={version}&t={at}")
        with seen.lock:
            seen.requests += 1
        if status == 200:
            seen.saw(body, changes, board_seen)
            found = re.search(r"changes\?v=(\d+)&amp;t=(\d+)", body)
            version, at = int(found.group(1)), int(found.group(2))
        elif status != 204:
            seen.errors.append(f"poll {status}")
        stop.wait(POLL_S)


def _sse_board(port, viewer, building_id, version, changes, seen: _Seen, stop: threading.Event, opened: list):
    tablet = _logged_in(port, viewer, seen.errors, "board's login")
    if tablet is None:
        return
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall((f"GET /property/buildings/{building_id}/events?v={version}&t={int(time.time())} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1\r\nCookie: {tablet.cookie}\r\nAccept: text/event-stream\r\n\r\n").encode())
    with seen.lock:
        seen.requests += 1
    buffer, board_seen, connected = b"", set(), False
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError as e:
            seen.errors.append(f"sse {e.__class__.__name__}")
            break
        if not data:
            seen.errors.append("sse closed by the server")
            break
        buffer += data
        if not connected and b"\r\n\r\n" in buffer:
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                seen.errors.append(f"sse {head[:40]!r}")
                break
            connected = True
            with seen.lock:
                opened.append(1)
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            seen.saw(event.decode(errors="replace"), changes, board_seen)
    sock.close()


def _agent_taps(port, agent, unit_ids, stop: threading.Event, times: list, errors: list):
    tablet = _logged_in(port, agent, errors, "login")
    if tablet is None:
        return
    i = 0
    while not stop.is_set():
        start = time.perf_counter()
        try:
            status, _ = tablet.request("GET", f"/property/units/{unit_ids[i % len(unit_ids)]}")
        except OSError as e:  # timed out: every thread is taken
            errors.append(e.__class__.__name__)
            continue
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            errors.append(f"tap {status}")
        i += 1
        stop.wait(0.5)


def _changer(port, agent, unit_ids, changes: dict, stop: threading.Event, errors: list):
    """An agent's tablet holds a unit, then releases it, every CHANGE_EVERY seconds (over HTTP, as the
    unit's panel posts it); each change is timed from the agent's tap."""
    tablet = _logged_in(port, agent, errors, "agent's login")
    if tablet is None:
        return
    n, held = 0, None
    while not stop.wait(CHANGE_EVERY):
        n += 1
        if held is None:
            unit = held = unit_ids[n % len(unit_ids)]
            path, body = f"/property/units/{unit}/hold", {"customer_name": "基准买家"}
        else:
            unit, held = held, None
            path, body = f"/property/units/{unit}/release-hold", {}
        changes[unit] = (n, time.perf_counter())
        try:
            status, text = tablet.request("POST", path, body)
        except OSError as e:
            errors.append(f"change {e.__class__.__name__}")
            continue
        if status != 200:
            errors.append(f"change {status} {text[:80]}")
    if held is not None:  # leave the building as it was for the next way
        tablet.request("POST", f"/property/units/{held}/release-hold", {})


def _one_way(label, app, folder, url, mode, threads, agents, viewers, buildings, units) -> dict:
    proc, log, port = _serve(folder, url, mode, threads)
    try:
        seen, stop, opened = _Seen(), threading.Event(), []
        changes: dict[int, tuple[int, float]] = {}
        bid, version = buildings[0]
        from pos.extensions import db
        from pos.property.models import Building

        with app.app_context():
            version = db.session.get(Building, bid).version
            building_units = _units_of(bid)
            db.session.remove()
        target = _sse_board if mode == "sse" else _poll_board
        boards = [threading.Thread(target=target, args=(port, viewers[i], bid, version, changes, seen, stop)
                                   + ((opened,) if mode == "sse" else ()), daemon=True) for i in range(BOARDS)]
        for t in boards:
            t.start()
        time.sleep(3)  # logged in and open
        taps, tap_errors = [], []
        tapper = threading.Thread(target=_agent_taps, args=(port, agents[0], building_units[:20], stop, taps,
                                                            tap_errors), daemon=True)
        cpu_before, t0, req_before = _workers_cpu(proc), time.perf_counter(), seen.requests
        tapper.start()
        changer = threading.Thread(target=_changer, args=(port, agents[1], building_units[20:60], changes, stop,
                                                          seen.errors))
        changer.start()
        time.sleep(SECONDS)
        stop.set()
        wall = time.perf_counter() - t0
        cpu = _workers_cpu(proc) - cpu_before
        changer.join()
        tapper.join(timeout=35)
        for t in boards:
            t.join(timeout=5)
        n_changes = len({c[0] for c in changes.values()}) if changes else 0
        expected = sum(1 for _ in range(int(SECONDS / CHANGE_EVERY)))
        out = {"label": label, "mode": mode, "threads": threads, "delays": seen.times, "cpu_s": cpu, "wall": wall,
               "requests": seen.requests - req_before, "taps": taps, "tap_errors": tap_errors,
               "errors": seen.errors, "opened": len(opened), "changes": expected, "got": len(seen.times),
               "n_changes": n_changes}
        print(f"-- {label}, {mode}, gunicorn 2 workers × {threads} threads, {BOARDS} boards, a change every "
              f"{CHANGE_EVERY:g} s for {wall:.0f} s; load {loadavg()}")
        if mode == "sse":
            print(f"   streams open: {len(opened)} of {BOARDS} (each holds a thread; {2 * threads} threads in all)")
        print(f"   changes seen by the boards: {len(seen.times)} (≈ {expected} changes × {BOARDS} boards); "
              f"board requests {out['requests']} ({out['requests'] / wall:.1f}/s); errors {len(seen.errors)}"
              + (f" {seen.errors[:2]}" if seen.errors else ""))
        print(f"   server CPU {cpu:.2f} s = {cpu * 1000 / wall * 60 / BOARDS:.0f} ms per board per minute")
        if seen.times:
            report(f"{label}, {mode} ×{threads}: change → on every open board", seen.times, 2000)
        if taps:
            report(f"{label}, {mode} ×{threads}: an agent's tap (a unit's panel) while the boards are open",
                   taps, 100)
        if tap_errors:
            print(f"   agent's taps that failed: {len(tap_errors)} ({tap_errors[:2]})")
        return out
    finally:
        workers = children(proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        for pid in workers:  # a worker whose threads are held by open streams outlives its master
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


_UNITS_BY_BUILDING: dict[int, list[int]] = {}


def _units_of(building_id: int) -> list[int]:
    return _UNITS_BY_BUILDING[building_id]


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from sqlalchemy import select

    from pos.extensions import db
    from pos.property.models import Unit

    app = bench_app(url, folder)
    agents, viewers, units, _session, _tickets, buildings, _project = _prepare(app)
    with app.app_context():
        for bid, _v in buildings:
            _UNITS_BY_BUILDING[bid] = list(db.session.scalars(
                select(Unit.id).where(Unit.building_id == bid, Unit.status == "available").order_by(Unit.id)))
        db.session.remove()
    results = [_one_way(label, app, folder, url, mode, threads, agents, viewers, buildings, units)
               for mode, threads in (("poll", 16), ("sse", 16), ("poll", 4), ("sse", 4))]
    print(f"   {label} summary (20 boards): way, threads → change seen p95 / server CPU per board-minute / "
          "agent's tap p95 / failed taps")
    for r in results:
        delays = f"{pct(r['delays'], 95):.0f} ms" if r["delays"] else "none seen"
        tap = f"{pct(r['taps'], 95):.0f} ms" if r["taps"] else "none answered"
        per_board = r["cpu_s"] * 1000 / r["wall"] * 60 / BOARDS
        print(f"   {r['mode']:4} ×{r['threads']:<2}: {delays:>10} / {per_board:5.0f} ms"
              f" / {tap:>13} / {len(r['tap_errors'])}   (boards' requests {r['requests'] / r['wall']:.1f}/s, "
              f"changes seen {r['got']} of ≈{r['changes'] * BOARDS}; mean delay "
              f"{statistics.mean(r['delays']) if r['delays'] else 0:.0f} ms)")
    return True


def run() -> bool:
    """Figures only: which way keeps 20 boards live for less."""
    return on_both_databases(_run_on)
