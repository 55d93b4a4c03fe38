"""Campaign jobs: fan-out (``expand_campaign``) and the periodic ``resume_stalled`` sweep."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Campaign, CampaignStatus
from webapp.services.campaigns import fanout
from webapp.services.campaigns import run as campaign_run

logger = logging.getLogger(__name__)

EXPANDABLE = (CampaignStatus.SCHEDULED.value, CampaignStatus.EXPANDING.value)


def expand_campaign(campaign_id: str | uuid.UUID, chunk_size: int = fanout.CHUNK) -> None:
    """Write the campaign's messages chunk by chunk, committing the cursor with each chunk.

    Safe to run twice or after a crash: each chunk locks the campaign row (PostgreSQL), reads
    the cursor, and inserts with ON CONFLICT DO NOTHING on (campaign_id, candidate_id).
    """
    cid = uuid.UUID(str(campaign_id))
    while True:
        campaign = db.session.scalars(
            select(Campaign).where(Campaign.id == cid).with_for_update()
        ).first()
        if campaign is None or campaign.status not in EXPANDABLE:
            db.session.rollback()
            return
        campaign.status = CampaignStatus.EXPANDING.value
        covered = fanout.expand_chunk(campaign, size=chunk_size)
        if covered == 0:
            campaign.status = CampaignStatus.RUNNING.value
            db.session.commit()
            logger.info("campaign %s expanded: %s recipients", cid, campaign.expanded_count)
            return
        db.session.commit()


def resume_stalled() -> int:
    """Re-run fan-outs that stopped (worker killed) and close campaigns with nothing left.

    Meant to run every minute from the scheduler; returns how many campaigns it touched.
    """
    touched = 0
    statement = select(Campaign.id).where(Campaign.status.in_(EXPANDABLE))
    for campaign_id in list(db.session.scalars(statement)):
        expand_campaign(campaign_id)
        touched += 1
    running = select(Campaign).where(Campaign.status == CampaignStatus.RUNNING.value)
    for campaign in list(db.session.scalars(running)):
        if campaign_run.refresh_status(campaign):
            touched += 1
    db.session.commit()
    return touched
