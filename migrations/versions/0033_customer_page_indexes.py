"""The customer page's lookups by customer: agreements and satisfaction answers (a year of history
and 200,000 customers read them by index, not by scanning)

Revision ID: 0033_customer_page_indexes
Revises: 0032_schedule_superseded
Create Date: 2026-11-26 15:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033_customer_page_indexes'
down_revision = '0032_schedule_superseded'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_property_agreement_customer_id', 'property_agreement', ['customer_id'])
    op.create_index('ix_aftersales_satisfaction_customer_id', 'aftersales_satisfaction', ['customer_id'])


def downgrade():
    op.drop_index('ix_aftersales_satisfaction_customer_id', table_name='aftersales_satisfaction')
    op.drop_index('ix_property_agreement_customer_id', table_name='property_agreement')
