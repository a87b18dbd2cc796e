"""documents engine: what to issue (spec), retries and leases, links between documents,
post-creation steps (archive, e-mail, paid), customer links, log rows tied to documents

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-30 17:40:00

The PDF moves from the database to the archive storage (`archive_key`); the free-text `note`
becomes real columns (`related_document_id`, states `deleted`/`cancelled`, `notice`).
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003r'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('related_document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taxable_date', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('spec', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('needs_lookup', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('last_error_hint_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('last_error_fields', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('notice', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('archive_state', sa.String(length=10), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('archive_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_state', sa.String(length=10), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('email_to', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paid_state', sa.String(length=10), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('issued_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_documents_order_event', 'order_events', ['order_event_id'], ['id'])
        batch_op.create_foreign_key('fk_documents_rule', 'document_rules', ['rule_id'], ['id'])
        batch_op.create_foreign_key('fk_documents_related', 'documents', ['related_document_id'], ['id'])
        batch_op.create_index('ix_documents_state_next', ['state', 'next_attempt_at'], unique=False)
        batch_op.drop_column('pdf')
        batch_op.drop_column('note')

    with op.batch_alter_table('document_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preset', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))

    op.create_table('customer_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('customer_key', sa.String(length=64), nullable=False),
    sa.Column('remote_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration_id', 'customer_key', name='uq_customer_links_key')
    )
    with op.batch_alter_table('customer_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_links_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_api_calls_order', 'orders', ['order_id'], ['id'])
        batch_op.create_foreign_key('fk_api_calls_document', 'documents', ['document_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_api_calls_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_calls_document_id'), ['document_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_calls_document_id'))
        batch_op.drop_index(batch_op.f('ix_api_calls_order_id'))
        batch_op.drop_constraint('fk_api_calls_document', type_='foreignkey')
        batch_op.drop_constraint('fk_api_calls_order', type_='foreignkey')
        batch_op.drop_column('document_id')
        batch_op.drop_column('order_id')
    with op.batch_alter_table('customer_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_links_shop_id'))
    op.drop_table('customer_links')
    with op.batch_alter_table('document_rules', schema=None) as batch_op:
        batch_op.drop_column('created_at')
        batch_op.drop_column('position')
        batch_op.drop_column('preset')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('pdf', sa.LargeBinary(), nullable=True))
        batch_op.drop_index('ix_documents_state_next')
        batch_op.drop_constraint('fk_documents_related', type_='foreignkey')
        batch_op.drop_constraint('fk_documents_rule', type_='foreignkey')
        batch_op.drop_constraint('fk_documents_order_event', type_='foreignkey')
        for column in ('issued_at', 'paid_state', 'emailed_at', 'email_to', 'email_state', 'archived_at',
                       'archive_key', 'archive_state', 'notice', 'last_error_fields', 'last_error_hint_key',
                       'needs_lookup', 'claimed_until', 'next_attempt_at', 'spec', 'taxable_date',
                       'related_document_id', 'rule_id', 'order_event_id'):
            batch_op.drop_column(column)
