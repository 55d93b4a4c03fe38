"""interview lifecycle: calendar sequence, read answers, notification setting, job recruiters

Revision ID: 0007
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("recruiter_ids", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("shortlist_entries") as batch:
        batch.add_column(
            sa.Column("ics_sequence", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "response_read_at", webapp.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column(
                "response_notifications",
                sa.String(length=8),
                nullable=False,
                server_default="every",
            )
        )


def downgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("recruiter_ids")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("response_notifications")
    with op.batch_alter_table("shortlist_entries") as batch:
        batch.drop_column("response_read_at")
        batch.drop_column("ics_sequence")
