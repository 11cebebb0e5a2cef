"""The substring index behind catalogue search, native to each database.

* SQLite: an FTS5 table with the trigram tokenizer over ``product.search_key``
  (external content, kept in sync by triggers);
* PostgreSQL: a GIN index over the bigrams of the key (``product.search_grams``,
  built by the app, read as a ``tsvector`` with the ``simple`` configuration).
  Exact bigram tokens keep even "three common words, no match" queries bounded,
  where a trigram index or a scan in id order took 40 ms and more at 100,000 products.

The index narrows the rows; ``LIKE '%term%'`` on ``search_key`` then decides. On
SQLite terms shorter than three characters, and on PostgreSQL one-character
terms, cannot use the index and are checked on the rows found (or by a scan
that stops at the first page, when every term is that short). They are created by the
migration and are not part of the SQLAlchemy models, so Alembic's comparison
is told to leave them alone (:func:`include_object`, :func:`include_name`).

Note for later migrations: on SQLite, a batch operation that *recreates* the
``product`` table drops its triggers; call :func:`drop` before and
:func:`create` after such an operation.
"""

from __future__ import annotations

FTS_TABLE = "product_fts"
PG_INDEX = "ix_product_search_grams"
MIN_INDEXED = 3  # trigram: shorter terms cannot use the index

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_key, content='product', content_rowid='id', "
    "tokenize='trigram')",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')",
    f"""CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END""",
    f"""CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key) VALUES ('delete', old.id, old.search_key); END""",
    f"""CREATE TRIGGER product_fts_update AFTER UPDATE OF search_key ON product BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key) VALUES ('delete', old.id, old.search_key);
        INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
PG_TSVECTOR = "to_tsvector('simple'::regconfig, search_grams)"
# fastupdate off: a new or changed product's grams go into the index at once. With PostgreSQL's default
# they wait in the index's pending list — up to 4 MB — until a VACUUM (autovacuum may be off on a shop's
# server, and an import of thousands of products fills the list at once), and every search reads that
# whole list: on 50,000 imported products a search's index scan took 3.6 ms, 0.7 without the list.
# Products change seldom; the counter searches them at every tap.
PG_DDL = [f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON product USING gin ({PG_TSVECTOR}) WITH (fastupdate = off)"]
PG_DROP = [f"DROP INDEX IF EXISTS {PG_INDEX}"]


def grams(text: str) -> list[str]:
    """The distinct bigrams of letters, digits and Han characters in each word:
    '海尔 bcd-100a' → ['海尔', 'bc', 'cd', '10', '00', '0a']."""
    out: list[str] = []
    for word in (text or "").lower().split():
        for a, b in zip(word, word[1:], strict=False):
            if a.isalnum() and b.isalnum() and (a + b) not in out:
                out.append(a + b)
    return out


def create(bind) -> None:
    for statement in {"sqlite": SQLITE_DDL, "postgresql": PG_DDL}.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)


def drop(bind) -> None:
    for statement in {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name and name.startswith(FTS_TABLE))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == PG_INDEX)
