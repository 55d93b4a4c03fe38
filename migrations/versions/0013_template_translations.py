"""template translations and the language a message was sent in

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('template_version_languages',
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('source_language', sa.String(length=16), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_template_version_languages_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['template_versions.id'], name=op.f('fk_template_version_languages_version_id_template_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_template_version_languages'))
    )
    with op.batch_alter_table('template_version_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_version_languages_org_id'), ['org_id'], unique=False)

    op.create_table('template_translations',
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('preheader', sa.Text(), nullable=False),
    sa.Column('body_mjml', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('source_digest', sa.String(length=32), nullable=False),
    sa.Column('edited_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_in_version', sa.Integer(), nullable=False),
    sa.Column('edited_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_template_translations_edited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_template_translations_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['template_versions.id'], name=op.f('fk_template_translations_version_id_template_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_translations')),
    sa.UniqueConstraint('version_id', 'language', name=op.f('uq_template_translations_version_id_language'))
    )
    with op.batch_alter_table('template_translations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_translations_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_translations_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('template_translations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_translations_version_id'))
        batch_op.drop_index(batch_op.f('ix_template_translations_org_id'))

    op.drop_table('template_translations')
    with op.batch_alter_table('template_version_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_version_languages_org_id'))

    op.drop_table('template_version_languages')
