"""catalogue search: a substring index native to each database

FTS5 (trigram) on SQLite; on PostgreSQL a GIN index over the key's bigrams
(new column product.search_grams, filled here for existing products). The plain
b-tree index on product.search_key could not serve LIKE '%term%' and goes.

Revision ID: 0003_search_index
Revises: 9091e5b37206
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_search_index"
down_revision = "9091e5b37206"
branch_labels = None
depends_on = None


def upgrade():
    from pos.catalog import search_index

    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_grams", sa.Text(), nullable=False, server_default=""))
        batch_op.drop_index("ix_product_search_key")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, search_key FROM product")).all()
    for product_id, key in rows:
        bind.execute(sa.text("UPDATE product SET search_grams = :g WHERE id = :id"),
                     {"g": " ".join(search_index.grams(key)), "id": product_id})
    search_index.create(bind)


def downgrade():
    from pos.catalog import search_index

    search_index.drop(op.get_bind())
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index("ix_product_search_key", ["search_key"], unique=False)
        batch_op.drop_column("search_grams")
