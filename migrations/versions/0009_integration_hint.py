"""the connector's hint for an integration's last error

Revision ID: 0009
Revises: 0007l
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007l'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_hint_key', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_column('last_error_hint_key')
