"""PIN and password failures per person and tablet; session generation per person

Revision ID: 3b1c7e2a9d10
Revises: 28f553cdc530
Create Date: 2026-11-26 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b1c7e2a9d10'
down_revision = '28f553cdc530'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pin_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_pin_throttle_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pin_throttle')),
    sa.UniqueConstraint('staff_id', 'kind', 'client', name=op.f('uq_pin_throttle_staff_id_kind_client'))
    )
    with op.batch_alter_table('pin_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pin_throttle_staff_id'), ['staff_id'], unique=False)

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_gen', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('session_gen')

    with op.batch_alter_table('pin_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pin_throttle_staff_id'))

    op.drop_table('pin_throttle')
