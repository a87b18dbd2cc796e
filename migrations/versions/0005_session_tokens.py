"""session tokens: a per-user token that binds sessions and remember-me cookies to the account

Rotated at every sign-in, cleared at sign-out and on a password or role change, so a copied
session or remember-me cookie stops working then.

Revision ID: 0003s
Revises: 0004
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003s'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
