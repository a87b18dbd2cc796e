"""the connector's hint for a failed call in the integration log

Revision ID: 0011h
Revises: 0009w
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011h'
down_revision = '0009w'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hint_key', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.drop_column('hint_key')
