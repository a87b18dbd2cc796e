"""KSeF state and number on documents (Poland's national e-invoice system)

Revision ID: 0007
Revises: 0003o
Create Date: 2026-11-30 18:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0003o'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ksef_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('ksef_number', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_documents_ksef_status', ['ksef_status'], unique=False)


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_ksef_status')
        batch_op.drop_column('ksef_number')
        batch_op.drop_column('ksef_status')
