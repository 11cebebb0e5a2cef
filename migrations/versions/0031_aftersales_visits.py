"""return visits (回访) and their calls, satisfaction answers (满意度: one per sale and per ticket), the
survey page's per-address throttle

Revision ID: 0031_aftersales_visits
Revises: 0030_aftersales_tickets
Create Date: 2026-11-26 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031_aftersales_visits'
down_revision = '0030_aftersales_tickets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aftersales_survey_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_survey_throttle')),
    sa.UniqueConstraint('client', name=op.f('uq_aftersales_survey_throttle_client'))
    )
    op.create_table('aftersales_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_aftersales_visit_customer_id_customer')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_aftersales_visit_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_visit_ticket_id_aftersales_ticket')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_aftersales_visit_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_visit')),
    sa.UniqueConstraint('subject', name=op.f('uq_aftersales_visit_subject'))
    )
    with op.batch_alter_table('aftersales_visit', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_visit_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_aftersales_visit_staff_due', ['staff_id', 'state', 'due_on'], unique=False)

    op.create_table('aftersales_satisfaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('rating', sa.String(length=12), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('voucher_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('showroom_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_satisfaction_complaint_id_aftersales_ticket')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_aftersales_satisfaction_customer_id_customer')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff.id'], name=op.f('fk_aftersales_satisfaction_recorded_by_id_staff')),
    sa.ForeignKeyConstraint(['showroom_id'], ['showroom.id'], name=op.f('fk_aftersales_satisfaction_showroom_id_showroom')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_aftersales_satisfaction_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_satisfaction_ticket_id_aftersales_ticket')),
    sa.ForeignKeyConstraint(['visit_id'], ['aftersales_visit.id'], name=op.f('fk_aftersales_satisfaction_visit_id_aftersales_visit')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_aftersales_satisfaction_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_satisfaction')),
    sa.UniqueConstraint('subject', name=op.f('uq_aftersales_satisfaction_subject'))
    )
    with op.batch_alter_table('aftersales_satisfaction', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_satisfaction_at', ['at'], unique=False)
        batch_op.create_index('ix_aftersales_satisfaction_staff_at', ['staff_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_satisfaction_voucher_id'), ['voucher_id'], unique=False)

    op.create_table('aftersales_visit_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('retry_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['staff.id'], name=op.f('fk_aftersales_visit_call_by_id_staff')),
    sa.ForeignKeyConstraint(['visit_id'], ['aftersales_visit.id'], name=op.f('fk_aftersales_visit_call_visit_id_aftersales_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_visit_call'))
    )
    with op.batch_alter_table('aftersales_visit_call', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_visit_call_visit', ['visit_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('aftersales_visit_call', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_visit_call_visit')
    op.drop_table('aftersales_visit_call')
    with op.batch_alter_table('aftersales_satisfaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_satisfaction_voucher_id'))
        batch_op.drop_index('ix_aftersales_satisfaction_staff_at')
        batch_op.drop_index('ix_aftersales_satisfaction_at')
    op.drop_table('aftersales_satisfaction')
    with op.batch_alter_table('aftersales_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_visit_staff_due')
        batch_op.drop_index('ix_aftersales_visit_customer')
    op.drop_table('aftersales_visit')
    op.drop_table('aftersales_survey_throttle')
