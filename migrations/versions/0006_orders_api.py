"""orders API: order summaries (source, totals, updated_at), event actor, API tokens

Revision ID: 0003o
Revises: 0003s
Create Date: 2026-11-30 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.types


revision = '0003o'
down_revision = '0003s'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='api', nullable=False))
        batch_op.add_column(sa.Column('total', webapp.models.types.Money(precision=18, scale=4), nullable=True))
        batch_op.add_column(sa.Column('paid_total', webapp.models.types.Money(precision=18, scale=4),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_total', webapp.models.types.Money(precision=18, scale=4),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_orders_shop_ordered_at', ['shop_id', 'ordered_at'], unique=False)
        batch_op.create_index('ix_orders_shop_status', ['shop_id', 'status'], unique=False)

    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=64), server_default='', nullable=False))

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_shop_id'))
    op.drop_table('api_tokens')

    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('actor')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_shop_status')
        batch_op.drop_index('ix_orders_shop_ordered_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('refunded_total')
        batch_op.drop_column('paid_total')
        batch_op.drop_column('total')
        batch_op.drop_column('source')
