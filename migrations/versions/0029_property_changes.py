"""Sales office changes: price requests answered on the manager's tablet (request, answer, use),
agreement changes (换房, new price), contract price changes, carried-over escrow records

Revision ID: 0029_property_changes
Revises: 0028_appraisal
Create Date: 2026-11-26 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_property_changes'
down_revision = '0028_appraisal'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('property_price_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('asked_total', sa.BigInteger(), nullable=False),
    sa.Column('filed_total', sa.BigInteger(), nullable=False),
    sa.Column('floor_total', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('asked_total > 0', name=op.f('ck_property_price_request_asked')),
    sa.ForeignKeyConstraint(['agent_id'], ['staff.id'], name=op.f('fk_property_price_request_agent_id_staff')),
    sa.ForeignKeyConstraint(['unit_id'], ['property_unit.id'], name=op.f('fk_property_price_request_unit_id_property_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_price_request'))
    )
    with op.batch_alter_table('property_price_request', schema=None) as batch_op:
        batch_op.create_index('ix_property_price_request_agent', ['agent_id', 'created_at'], unique=False)
        batch_op.create_index('ix_property_price_request_unit', ['unit_id'], unique=False)

    op.create_table('property_price_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['staff.id'], name=op.f('fk_property_price_answer_answered_by_id_staff')),
    sa.ForeignKeyConstraint(['request_id'], ['property_price_request.id'], name=op.f('fk_property_price_answer_request_id_property_price_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_price_answer')),
    sa.UniqueConstraint('request_id', name=op.f('uq_property_price_answer_request_id'))
    )
    op.create_table('property_price_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['property_agreement.id'], name=op.f('fk_property_price_use_agreement_id_property_agreement')),
    sa.ForeignKeyConstraint(['request_id'], ['property_price_request.id'], name=op.f('fk_property_price_use_request_id_property_price_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_price_use')),
    sa.UniqueConstraint('request_id', name=op.f('uq_property_price_use_request_id'))
    )
    op.create_table('property_agreement_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('old_agreement_id', sa.Integer(), nullable=False),
    sa.Column('new_agreement_id', sa.Integer(), nullable=False),
    sa.Column('old_unit_id', sa.Integer(), nullable=False),
    sa.Column('new_unit_id', sa.Integer(), nullable=False),
    sa.Column('old_total', sa.BigInteger(), nullable=False),
    sa.Column('new_total', sa.BigInteger(), nullable=False),
    sa.Column('carried', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('unit_locked_until', sa.Date(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('carried >= 0', name=op.f('ck_property_agreement_change_carried')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['staff.id'], name=op.f('fk_property_agreement_change_approved_by_id_staff')),
    sa.ForeignKeyConstraint(['new_agreement_id'], ['property_agreement.id'], name=op.f('fk_property_agreement_change_new_agreement_id_property_agreement')),
    sa.ForeignKeyConstraint(['new_unit_id'], ['property_unit.id'], name=op.f('fk_property_agreement_change_new_unit_id_property_unit')),
    sa.ForeignKeyConstraint(['old_agreement_id'], ['property_agreement.id'], name=op.f('fk_property_agreement_change_old_agreement_id_property_agreement')),
    sa.ForeignKeyConstraint(['old_unit_id'], ['property_unit.id'], name=op.f('fk_property_agreement_change_old_unit_id_property_unit')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff.id'], name=op.f('fk_property_agreement_change_requested_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_agreement_change')),
    sa.UniqueConstraint('new_agreement_id', name=op.f('uq_property_agreement_change_new_agreement_id')),
    sa.UniqueConstraint('old_agreement_id', name=op.f('uq_property_agreement_change_old_agreement_id'))
    )
    # a contract's price change keeps the price before and after and the schedule it replaced
    op.add_column('property_contract_change', sa.Column('old_total', sa.BigInteger(), nullable=True))
    op.add_column('property_contract_change', sa.Column('new_total', sa.BigInteger(), nullable=True))
    op.add_column('property_contract_change', sa.Column('schedule_before', sa.Text(), nullable=True))
    # a deposit carried over to the agreement that replaced its own is recorded outside any shift
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('property_escrow_payment', 'shift_id', existing_type=sa.Integer(), nullable=True)
    else:
        with op.batch_alter_table('property_escrow_payment', schema=None) as batch_op:
            batch_op.alter_column('shift_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('property_escrow_payment', 'shift_id', existing_type=sa.Integer(), nullable=False)
    else:
        with op.batch_alter_table('property_escrow_payment', schema=None) as batch_op:
            batch_op.alter_column('shift_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('property_contract_change', schema=None) as batch_op:
        batch_op.drop_column('schedule_before')
        batch_op.drop_column('new_total')
        batch_op.drop_column('old_total')
    op.drop_table('property_agreement_change')
    op.drop_table('property_price_use')
    op.drop_table('property_price_answer')
    with op.batch_alter_table('property_price_request', schema=None) as batch_op:
        batch_op.drop_index('ix_property_price_request_unit')
        batch_op.drop_index('ix_property_price_request_agent')
    op.drop_table('property_price_request')
