"""attachments: files on template versions and API sends, their bytes stored once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment_files',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('last_used_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_attachment_files_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_files')),
    sa.UniqueConstraint('org_id', 'sha256', name=op.f('uq_attachment_files_org_id_sha256'))
    )
    with op.batch_alter_table('attachment_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_files_last_used_at'), ['last_used_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_files_org_id'), ['org_id'], unique=False)

    op.create_table('template_attachments',
    sa.Column('template_version_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['attachment_files.id'], name=op.f('fk_template_attachments_file_id_attachment_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_template_attachments_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'], name=op.f('fk_template_attachments_template_version_id_template_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_attachments'))
    )
    with op.batch_alter_table('template_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_attachments_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_attachments_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_attachments_template_version_id'), ['template_version_id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('attachments')

    with op.batch_alter_table('template_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_attachments_template_version_id'))
        batch_op.drop_index(batch_op.f('ix_template_attachments_org_id'))
        batch_op.drop_index(batch_op.f('ix_template_attachments_file_id'))
    op.drop_table('template_attachments')

    with op.batch_alter_table('attachment_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_files_org_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_files_last_used_at'))
    op.drop_table('attachment_files')
