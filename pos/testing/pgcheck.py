"""Exit 0 when the PostgreSQL server for the tests answers (used by `make test`)."""

import os
import sys

import psycopg
from sqlalchemy.engine import make_url


def main() -> int:
    url = make_url(os.environ.get("POS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    try:
        with psycopg.connect(
            host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
            password=url.password, dbname=url.database or "postgres", connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as e:
        print(f"PostgreSQL not reachable: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
