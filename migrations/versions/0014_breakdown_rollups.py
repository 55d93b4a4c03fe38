"""hourly rollups for the breakdowns by recipient domain and by clicked link

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The same rows webapp/services/tracking/{domain,link}_rollups.py rebuild() writes.
HOUR = {
    'postgresql': "timezone('UTC', date_trunc('hour', timezone('UTC', {})))",
    'sqlite': "strftime('%Y-%m-%d %H:00:00.000000', {})",
}
DOMAIN = {
    'postgresql': "lower(split_part(to_email, '@', 2))",
    'sqlite': "lower(substr(to_email, instr(to_email, '@') + 1))",
}
URL_BYTES = {'postgresql': 'octet_length(e.url)', 'sqlite': 'length(CAST(e.url AS BLOB))'}

DOMAINS_SQL = """
INSERT INTO domain_rollups (org_id, hour, domain, sent, delivered, bounced, complained, opened,
    clicked)
SELECT org_id, {hour}, {domain}, count(*), count(delivered_at), count(bounced_at),
    count(complained_at), count(opened_at), count(clicked_at)
FROM messages WHERE sent_at IS NOT NULL
GROUP BY org_id, {hour}, {domain}
"""

LINKS_SQL = """
INSERT INTO link_rollups (org_id, hour, url, clicks, human_clicks, messages)
SELECT org_id, hour, url_key, count(*), sum(human), sum(is_first) FROM (
    SELECT e.org_id, {hour} AS hour,
        CASE WHEN {url_bytes} <= 1000 THEN e.url ELSE substr(e.url, 1, 250) || '…' END AS url_key,
        CASE WHEN e.is_machine THEN 0 ELSE 1 END AS human,
        CASE WHEN e.message_id IS NOT NULL AND row_number() OVER (
            PARTITION BY e.message_id, e.url ORDER BY e.occurred_at) = 1 THEN 1 ELSE 0 END AS is_first
    FROM message_events AS e WHERE e.type = 'clicked' AND e.url IS NOT NULL
) AS clicks
GROUP BY org_id, hour, url_key
"""


def upgrade():
    op.create_table('domain_rollups',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('hour', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('domain', sa.String(length=320), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('bounced', sa.Integer(), nullable=False),
    sa.Column('complained', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('clicked', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_domain_rollups_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'hour', 'domain', name=op.f('pk_domain_rollups'))
    )
    op.create_table('link_rollups',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('hour', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('human_clicks', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_link_rollups_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'hour', 'url', name=op.f('pk_link_rollups'))
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        DOMAINS_SQL.format(hour=HOUR[dialect].format('sent_at'), domain=DOMAIN[dialect])
    )
    op.execute(
        LINKS_SQL.format(hour=HOUR[dialect].format('e.occurred_at'), url_bytes=URL_BYTES[dialect])
    )


def downgrade():
    op.drop_table('link_rollups')
    op.drop_table('domain_rollups')
