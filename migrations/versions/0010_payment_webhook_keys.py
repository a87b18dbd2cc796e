"""payment webhook keys: a per-integration key (its SHA-256 only), when it was created, the last
delivery received with it, and the deliveries already taken in (by Idempotency-Key hash)

Revision ID: 0009w
Revises: 0007l
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009w'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_key_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('webhook_key_created_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('webhook_received_at', sa.DateTime(), nullable=True))
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('integration_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], ),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('integration_id', 'key_hash', name='uq_webhook_deliveries_key'),
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_received_at'), ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_received_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_shop_id'))
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_column('webhook_received_at')
        batch_op.drop_column('webhook_key_created_at')
        batch_op.drop_column('webhook_key_hash')
