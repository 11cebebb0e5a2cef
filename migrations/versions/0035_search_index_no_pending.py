"""The catalogue's search index (GIN, PostgreSQL) without a pending list: a product's grams go into the
index when it is saved, so that searches no longer read a list of entries waiting for a VACUUM (an
import of 50,000 products left one that tripled a search's index scan); the list it has is emptied now

Revision ID: 0035_search_index_no_pending
Revises: 0034_product_in_stock_price
Create Date: 2026-11-27 15:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035_search_index_no_pending'
down_revision = '0034_product_in_stock_price'
branch_labels = None
depends_on = None

INDEX = "ix_product_search_grams"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite searches through its FTS5 table: no pending list
    op.execute(f"ALTER INDEX IF EXISTS {INDEX} SET (fastupdate = off)")
    # turning it off keeps what already waits: fold it into the index
    op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass) WHERE to_regclass('{INDEX}') IS NOT NULL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (fastupdate)")
