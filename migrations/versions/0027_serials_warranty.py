"""serial numbers and warranty: product.requires_serial / warranty_months, sold_serial

Revision ID: 0027_serials_warranty
Revises: 0026_customer_households
Create Date: 2026-11-26 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_serials_warranty'
down_revision = '0026_customer_households'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ADD COLUMN (no batch copy: other tables' rows point at products)
    op.add_column('product', sa.Column('requires_serial', sa.Boolean(), server_default=sa.text('false'),
                                       nullable=False))
    op.add_column('product', sa.Column('warranty_months', sa.Integer(), server_default='0', nullable=False))
    op.create_table('sold_serial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('voucher_line_id', sa.Integer(), nullable=False),
    sa.Column('pickup_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(), nullable=False),
    sa.Column('handed_over_on', sa.Date(), nullable=False),
    sa.Column('warranty_months', sa.Integer(), nullable=False),
    sa.Column('warranty_until', sa.Date(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_sold_serial_customer_id_customer')),
    sa.ForeignKeyConstraint(['pickup_id'], ['pickup.id'], name=op.f('fk_sold_serial_pickup_id_pickup')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_sold_serial_product_id_product')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_sold_serial_refund_id_refund')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_sold_serial_voucher_id_voucher')),
    sa.ForeignKeyConstraint(['voucher_line_id'], ['voucher_line.id'],
                            name=op.f('fk_sold_serial_voucher_line_id_voucher_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sold_serial'))
    )
    with op.batch_alter_table('sold_serial', schema=None) as batch_op:
        batch_op.create_index('ix_sold_serial_customer', ['customer_id', 'handed_over_on'], unique=False)
        batch_op.create_index('ix_sold_serial_serial', ['serial'], unique=False)
        batch_op.create_index(batch_op.f('ix_sold_serial_pickup_id'), ['pickup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sold_serial_voucher_id'), ['voucher_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sold_serial_voucher_line_id'), ['voucher_line_id'], unique=False)
        batch_op.create_index('uq_sold_serial_live', ['product_id', 'serial'], unique=True,
                              sqlite_where=sa.text('returned_at IS NULL'),
                              postgresql_where=sa.text('returned_at IS NULL'))


def downgrade():
    with op.batch_alter_table('sold_serial', schema=None) as batch_op:
        batch_op.drop_index('uq_sold_serial_live')
        batch_op.drop_index(batch_op.f('ix_sold_serial_voucher_line_id'))
        batch_op.drop_index(batch_op.f('ix_sold_serial_voucher_id'))
        batch_op.drop_index(batch_op.f('ix_sold_serial_pickup_id'))
        batch_op.drop_index('ix_sold_serial_serial')
        batch_op.drop_index('ix_sold_serial_customer')
    op.drop_table('sold_serial')
    op.drop_column('product', 'warranty_months')
    op.drop_column('product', 'requires_serial')
