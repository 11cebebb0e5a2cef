"""``pos serve`` with one more route, for bench/bench_board_live.py only: the board's changes pushed as
server-sent events instead of polled, so that both ways are measured on the same server.

``python -m bench.sse_server serve --host H --port P --workers W --threads T`` — the product's own
serve command (gunicorn, gthread), its app with ``/property/buildings/<id>/events`` added. Each open
stream holds one of gunicorn's threads; every 0.5 s it asks the question the poll asks
(``services.changes_since``, one indexed query when nothing changed) on a connection taken from the
pool and given back at once, and pushes the changed cells (the same fragment the poll returns).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import pos

TICK_S = 0.5


def _with_events(create_app):
    def create(config=None):
        from flask import Blueprint, Response, abort, render_template, request, stream_with_context

        from pos.clock import utcnow
        from pos.extensions import db
        from pos.property import services
        from pos.property.views import POLL_MS, _epoch
        from pos.staff.permissions import background, roles_required

        app = create_app(config)
        bp = Blueprint("bench_sse", __name__)

        @bp.get("/property/buildings/<int:building_id>/events")
        @roles_required("clerk")
        @background
        def events(building_id: int):
            try:
                version = int(request.args.get("v", ""))
                since = datetime.fromtimestamp(int(request.args.get("t", "")), UTC)
            except (TypeError, ValueError, OverflowError, OSError):
                abort(400)
            db.session.remove()  # the stream holds a thread, not a database connection

            def stream():
                nonlocal version, since
                yield ": open\n\n"
                while True:
                    now = utcnow()
                    try:
                        answer = services.changes_since(db.session, building_id, version, since, now)
                        if answer is not None:
                            version, changed = answer
                            building = services.get_building(db.session, building_id)
                            tally = services.tally(db.session, [building_id], now)
                            html = render_template("property/_changes.html", building=building, version=version,
                                                   at=_epoch(now), cells=changed, tally=tally,
                                                   project=building.project, project_tally=None,
                                                   with_project=False, poll_ms=POLL_MS, now=now)
                            since = now
                            yield "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"
                    finally:
                        db.session.remove()
                    time.sleep(TICK_S)

            return Response(stream_with_context(stream()), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

        app.register_blueprint(bp)
        return app

    return create


if __name__ == "__main__":
    pos.create_app = _with_events(pos.create_app)
    from pos.cli import serve_command

    serve_command.main(sys.argv[2:], standalone_mode=True)
