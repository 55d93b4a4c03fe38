"""sent contents (what each message said when sent); import rows matching candidates

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-02 13:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_contents',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('sent_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('attachments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('template_version_id', sa.Uuid(), nullable=True),
    sa.Column('body_purged_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_sent_contents_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sent_contents_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'], name=op.f('fk_sent_contents_template_version_id_template_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_sent_contents'))
    )
    with op.batch_alter_table('sent_contents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_contents_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_contents_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_match', sa.String(length=16), nullable=False, server_default='skip'))
        batch_op.add_column(sa.Column('skipped_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('matched', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_column('matched')
        batch_op.drop_column('skipped_count')
        batch_op.drop_column('on_match')

    with op.batch_alter_table('sent_contents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_contents_sent_at'))
        batch_op.drop_index(batch_op.f('ix_sent_contents_org_id'))

    op.drop_table('sent_contents')
