"""A contract's price change supersedes a schedule item instead of deleting it: the item keeps its
row, marked superseded (by which change, when); the new item says which change made it; one live
item per position (a partial unique index instead of the unique key on every item)

Revision ID: 0032_schedule_superseded
Revises: 0031_aftersales_visits
Create Date: 2026-11-26 15:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032_schedule_superseded'
down_revision = '0031_aftersales_visits'
branch_labels = None
depends_on = None

LIVE = 'superseded_at IS NULL'


def upgrade():
    with op.batch_alter_table('property_schedule_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_change_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('made_by_change_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_property_schedule_item_superseded_by_change_id_property_contract_change'),
            'property_contract_change', ['superseded_by_change_id'], ['id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_property_schedule_item_made_by_change_id_property_contract_change'),
            'property_contract_change', ['made_by_change_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_property_schedule_item_superseded'),
            '(superseded_at IS NULL AND superseded_by_change_id IS NULL) OR '
            '(superseded_at IS NOT NULL AND superseded_by_change_id IS NOT NULL)')
        batch_op.drop_constraint('uq_property_schedule_item_contract_id_position', type_='unique')
        batch_op.create_index('ix_property_schedule_item_contract', ['contract_id', 'position'], unique=False)
        batch_op.create_index('uq_property_schedule_item_live', ['contract_id', 'position'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade():
    # the old unique key (one item per position) cannot hold a superseded item beside the one that
    # replaced it: a downgrade after a contract price change fails on the key, and nothing is lost
    with op.batch_alter_table('property_schedule_item', schema=None) as batch_op:
        batch_op.drop_index('uq_property_schedule_item_live')
        batch_op.drop_index('ix_property_schedule_item_contract')
        batch_op.create_unique_constraint('uq_property_schedule_item_contract_id_position',
                                          ['contract_id', 'position'])
        batch_op.drop_constraint(batch_op.f('ck_property_schedule_item_superseded'), type_='check')
        batch_op.drop_constraint(
            batch_op.f('fk_property_schedule_item_made_by_change_id_property_contract_change'), type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_property_schedule_item_superseded_by_change_id_property_contract_change'),
            type_='foreignkey')
        batch_op.drop_column('made_by_change_id')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by_change_id')
