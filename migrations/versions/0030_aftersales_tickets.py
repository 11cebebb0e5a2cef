"""after-sales tickets (售后服务单), their history and photos; dispatch slips get a kind (delivery,
repair, installation) and a repair or installation slip carries no pickup

Revision ID: 0030_aftersales_tickets
Revises: 0029_property_changes
Create Date: 2026-11-26 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_aftersales_tickets'
down_revision = '0029_property_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aftersales_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('no', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=True),
    sa.Column('voucher_line_id', sa.Integer(), nullable=True),
    sa.Column('serial_id', sa.Integer(), nullable=True),
    sa.Column('serial_no', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('respond_by', sa.DateTime(), nullable=False),
    sa.Column('resolve_by', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('dispatch_slip_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('restocked', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['staff.id'], name=op.f('fk_aftersales_ticket_assigned_to_id_staff')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff.id'], name=op.f('fk_aftersales_ticket_closed_by_id_staff')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_aftersales_ticket_customer_id_customer')),
    sa.ForeignKeyConstraint(['dispatch_slip_id'], ['dispatch_slip.id'], name=op.f('fk_aftersales_ticket_dispatch_slip_id_dispatch_slip')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['staff.id'], name=op.f('fk_aftersales_ticket_opened_by_id_staff')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_aftersales_ticket_refund_id_refund')),
    sa.ForeignKeyConstraint(['serial_id'], ['sold_serial.id'], name=op.f('fk_aftersales_ticket_serial_id_sold_serial')),
    sa.ForeignKeyConstraint(['unit_id'], ['property_unit.id'], name=op.f('fk_aftersales_ticket_unit_id_property_unit')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_aftersales_ticket_voucher_id_voucher')),
    sa.ForeignKeyConstraint(['voucher_line_id'], ['voucher_line.id'], name=op.f('fk_aftersales_ticket_voucher_line_id_voucher_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket')),
    sa.UniqueConstraint('dispatch_slip_id', name=op.f('uq_aftersales_ticket_dispatch_slip_id')),
    sa.UniqueConstraint('no', name=op.f('uq_aftersales_ticket_no')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_aftersales_ticket_refund_id'))
    )
    with op.batch_alter_table('aftersales_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_ticket_assignee', ['assigned_to_id', 'state'], unique=False)
        batch_op.create_index('ix_aftersales_ticket_closed', ['closed_at'], unique=False)
        batch_op.create_index('ix_aftersales_ticket_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_aftersales_ticket_state_resolve_by', ['state', 'resolve_by'], unique=False)
        batch_op.create_index('ix_aftersales_ticket_voucher_line', ['voucher_line_id'], unique=False)

    op.create_table('aftersales_ticket_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['staff.id'], name=op.f('fk_aftersales_ticket_event_by_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_event_ticket_id_aftersales_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_event'))
    )
    with op.batch_alter_table('aftersales_ticket_event', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_ticket_event_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('aftersales_ticket_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['staff.id'], name=op.f('fk_aftersales_ticket_photo_by_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_photo_ticket_id_aftersales_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_photo'))
    )
    with op.batch_alter_table('aftersales_ticket_photo', schema=None) as batch_op:
        batch_op.create_index('ix_aftersales_ticket_photo_ticket', ['ticket_id'], unique=False)

    with op.batch_alter_table('dispatch_slip', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='delivery', nullable=False))
        batch_op.alter_column('pickup_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('dispatch_slip', schema=None) as batch_op:
        batch_op.alter_column('pickup_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('kind')
    with op.batch_alter_table('aftersales_ticket_photo', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_ticket_photo_ticket')
    op.drop_table('aftersales_ticket_photo')
    with op.batch_alter_table('aftersales_ticket_event', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_ticket_event_ticket')
    op.drop_table('aftersales_ticket_event')
    with op.batch_alter_table('aftersales_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_ticket_voucher_line')
        batch_op.drop_index('ix_aftersales_ticket_state_resolve_by')
        batch_op.drop_index('ix_aftersales_ticket_customer')
        batch_op.drop_index('ix_aftersales_ticket_closed')
        batch_op.drop_index('ix_aftersales_ticket_assignee')
    op.drop_table('aftersales_ticket')
