"""The database, the secret key and backups are readable only by the server's user; the printer
badge's polling does not keep an idle tablet logged in."""

from __future__ import annotations

import os
import stat
import time

from pos import create_app
from pos.cli import backup_database, upgrade_database
from pos.extensions import db
from tests.conftest import BASE_CONFIG, login_as


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_instance_database_secret_key_and_backups_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    os.umask(0o022)  # a usual umask: files 0644, folders 0755 unless the app says otherwise
    instance = tmp_path / "instance"
    config = {k: v for k, v in BASE_CONFIG.items() if k != "SECRET_KEY"}
    app = create_app({**config, "INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{instance}/pos.sqlite3"})
    with app.app_context():
        upgrade_database()
        db.session.execute(db.text("SELECT 1"))
        backup = backup_database()
        db.session.remove()
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "pos.sqlite3") == 0o600
    for extra in ("pos.sqlite3-wal", "pos.sqlite3-shm"):
        if (instance / extra).exists():
            assert mode(instance / extra) == 0o600, extra
    assert mode(backup.parent) == 0o700 and mode(backup) == 0o600
    # files left readable by an older version are tightened at the next start
    os.chmod(instance, 0o755)
    os.chmod(instance / "secret_key", 0o644)
    os.chmod(instance / "pos.sqlite3", 0o644)
    create_app({**config, "INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{instance}/pos.sqlite3"})
    assert (mode(instance), mode(instance / "secret_key"), mode(instance / "pos.sqlite3")) == (0o700, 0o600, 0o600)


def test_the_printer_badge_polling_does_not_defeat_the_idle_logout(client, app):
    login_as(client, "S001")
    assert client.get("/printers/jobs").status_code == 200  # a real request: activity
    nine_minutes_ago = time.time() - 9 * 60
    with client.session_transaction() as sess:
        sess["last_seen"] = nine_minutes_ago
    for _ in range(3):  # the badge polls every 10 s
        assert client.get("/printers/status", headers={"HX-Request": "true"}).status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen"] == nine_minutes_ago  # polls are not activity
        sess["last_seen"] = time.time() - 11 * 60  # past the 10-minute limit
    resp = client.get("/printers/status", headers={"HX-Request": "true"})
    assert resp.status_code != 200 or "printer-badge" not in resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess  # logged out for idleness
    assert client.get("/printers/jobs").status_code in (302, 303, 401)
