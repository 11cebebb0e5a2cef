"""Audit entries keep the event's data, rendered in the reader's language

Revision ID: 0012_audit_data
Revises: 3b1c7e2a9d10
Create Date: 2026-11-26 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_audit_data'
down_revision = '3b1c7e2a9d10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('data')
