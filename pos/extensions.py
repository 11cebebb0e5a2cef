"""The Flask extensions, created unbound here and wired in ``create_app``."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so Alembic can alter them (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay loaded after commit: a view commits, then renders what it just saved
# (the session lives for one request, so nothing stale outlives it).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
htmx = HTMX()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def refresh_statistics(session) -> None:
    """Let SQLite's query planner know the tables' sizes (``ANALYZE``: ~1 s on a year of history).

    Without statistics SQLite takes any index for selective, and on a year of history picks the
    tender-kind index over the shift's payments (20 ms instead of 0.5); a sampled ANALYZE is not
    enough to tell them apart. Run after migrating, after a catalogue import and at every day
    sign-off. PostgreSQL too: its statistics come from autovacuum, which a shop's server may have
    turned off (``pos check`` says so); a day of sales then reads with the plans of an empty shop."""
    from sqlalchemy import text

    if session.get_bind().dialect.name in ("sqlite", "postgresql"):
        session.execute(text("ANALYZE"))
