"""Hourly rollups behind the stats breakdowns by recipient domain and by clicked link.

Both are keyed by organization and UTC hour first (the primary key serves the range scans of
the stats page), like ``StatRollup``; what each row counts is in docs/stats.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base


class DomainRollup(Base):
    """Messages sent in an hour to a recipient domain, and how many of them were (by now)
    delivered, bounced, complained about, opened and clicked by a person."""

    __tablename__ = "domain_rollups"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # of the message's sent_at
    domain: Mapped[str] = mapped_column(String(320), primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    bounced: Mapped[int] = mapped_column(Integer, default=0)
    complained: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    clicked: Mapped[int] = mapped_column(Integer, default=0)


class LinkRollup(Base):
    """Clicks on one URL in an hour: all, by people, and the messages whose first click on
    that URL fell in the hour."""

    __tablename__ = "link_rollups"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # of the click
    url: Mapped[str] = mapped_column(Text, primary_key=True)  # link_rollups.url_key
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    human_clicks: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
