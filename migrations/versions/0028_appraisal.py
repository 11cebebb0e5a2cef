"""the monthly appraisal (绩效考核): months, bonus adjustments, approved lines

Revision ID: 0028_appraisal
Revises: 0027_serials_warranty
Create Date: 2026-11-26 14:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0028_appraisal'
down_revision = '0027_serials_warranty'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appraisal_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['staff.id'], name=op.f('fk_appraisal_month_approved_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_month')),
    sa.UniqueConstraint('month', name=op.f('uq_appraisal_month_month'))
    )
    op.create_table('appraisal_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['staff.id'], name=op.f('fk_appraisal_adjustment_by_id_staff')),
    sa.ForeignKeyConstraint(['month_id'], ['appraisal_month.id'], name=op.f('fk_appraisal_adjustment_month_id_appraisal_month')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_appraisal_adjustment_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_adjustment'))
    )
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.create_index('ix_appraisal_adjustment_month_staff', ['month_id', 'staff_id'], unique=False)

    op.create_table('appraisal_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=True),
    sa.Column('net_sales', sa.BigInteger(), nullable=False),
    sa.Column('new_customers', sa.Integer(), nullable=False),
    sa.Column('retained', sa.Integer(), nullable=False),
    sa.Column('retention_base', sa.Integer(), nullable=False),
    sa.Column('due', sa.BigInteger(), nullable=False),
    sa.Column('collected', sa.BigInteger(), nullable=False),
    sa.Column('survey_answers', sa.Integer(), nullable=True),
    sa.Column('survey_satisfied', sa.Integer(), nullable=True),
    sa.Column('tickets_resolved', sa.Integer(), nullable=True),
    sa.Column('tickets_on_time', sa.Integer(), nullable=True),
    sa.Column('sales_bonus', sa.BigInteger(), nullable=False),
    sa.Column('excess_bonus', sa.BigInteger(), nullable=False),
    sa.Column('deduction_pct', sa.Integer(), nullable=False),
    sa.Column('deduction', sa.BigInteger(), nullable=False),
    sa.Column('adjustment', sa.BigInteger(), nullable=False),
    sa.Column('bonus', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['month_id'], ['appraisal_month.id'], name=op.f('fk_appraisal_line_month_id_appraisal_month')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_appraisal_line_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_line')),
    sa.UniqueConstraint('month_id', 'staff_id', name=op.f('uq_appraisal_line_month_id_staff_id'))
    )


def downgrade():
    op.drop_table('appraisal_line')
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.drop_index('ix_appraisal_adjustment_month_staff')
    op.drop_table('appraisal_adjustment')
    op.drop_table('appraisal_month')
