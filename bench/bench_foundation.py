"""Foundation: amounts in words, and the login screen and a role home served by the app."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from bench.common import measure, report


def run() -> bool:
    from pos import create_app
    from pos.cli import upgrade_database
    from pos.demo import load_demo
    from pos.extensions import db
    from pos.money import amount_in_words, format_money

    ok = True
    amounts = [Decimal(n) / 100 for n in range(1, 1_000_000, 997)]
    ok &= report("amount_in_words ×1000 amounts", measure(lambda: [amount_in_words(a) for a in amounts[:1000]],
                                                          runs=50), target_ms=20)
    ok &= report("format_money ×1000 amounts", measure(lambda: [format_money(a) for a in amounts[:1000]],
                                                       runs=50), target_ms=5)

    folder = Path(tempfile.mkdtemp())
    app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "POS_MEDIA_DIR": str(folder / "media")})
    with app.app_context():
        upgrade_database()
        load_demo(db.session)
        db.session.commit()
        manager_id = db.session.scalar(db.text("SELECT id FROM staff WHERE staff_no = 'M001'"))
    client = app.test_client()
    ok &= report("GET /login (name tiles)", measure(lambda: client.get("/login")), target_ms=30)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(manager_id)
    ok &= report("GET /home/manager", measure(lambda: client.get("/home/manager")), target_ms=30)
    ok &= report("GET /audit (100 rows)", measure(lambda: client.get("/audit"), runs=100), target_ms=50)
    return ok
