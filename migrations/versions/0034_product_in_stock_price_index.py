"""In-stock alternatives read from an index: the active, in-stock products by (category, price)
(a partial index), so that offering products instead of one short of stock reads the nearest
prices of its category, not all of them (100,000 products: ~28,000 in a category)

Revision ID: 0034_product_in_stock_price
Revises: 0033_customer_page_indexes
Create Date: 2026-11-26 18:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034_product_in_stock_price'
down_revision = '0033_customer_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_product_in_stock_price', 'product', ['category_id', 'list_price'],
                    sqlite_where=sa.text('active IS 1 AND stock_on_hand > 0'),
                    postgresql_where=sa.text('active IS true AND stock_on_hand > 0'))


def downgrade():
    op.drop_index('ix_product_in_stock_price', table_name='product')
