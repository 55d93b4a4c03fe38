"""The rollup metric names (written by the tracking drain, read by every stats page)."""

from __future__ import annotations

import uuid

NIL = uuid.UUID(int=0)  # "no campaign" / "no template version" in a rollup key

SENT = "sent"
DELIVERED = "delivered"
DEFERRED = "deferred"
FAILED = "failed"
BOUNCED_HARD = "bounced_hard"
BOUNCED_SOFT = "bounced_soft"
COMPLAINED = "complained"
UNSUBSCRIBED = "unsubscribed"
REPLIED = "replied"
OPENED = "opened"
OPENED_HUMAN = "opened_human"
CLICKED = "clicked"
CLICKED_HUMAN = "clicked_human"
OPENED_UNIQUE = "opened_unique"
OPENED_UNIQUE_HUMAN = "opened_unique_human"
CLICKED_UNIQUE = "clicked_unique"
CLICKED_UNIQUE_HUMAN = "clicked_unique_human"

ALL = (
    SENT,
    DELIVERED,
    DEFERRED,
    FAILED,
    BOUNCED_HARD,
    BOUNCED_SOFT,
    COMPLAINED,
    UNSUBSCRIBED,
    REPLIED,
    OPENED,
    OPENED_HUMAN,
    CLICKED,
    CLICKED_HUMAN,
    OPENED_UNIQUE,
    OPENED_UNIQUE_HUMAN,
    CLICKED_UNIQUE,
    CLICKED_UNIQUE_HUMAN,
)

# What the charts draw, per bucket.
CHART = (SENT, DELIVERED, OPENED_UNIQUE_HUMAN, OPENED_UNIQUE, CLICKED_UNIQUE_HUMAN, CLICKED_UNIQUE)
CHART_PROBLEMS = (BOUNCED_HARD, BOUNCED_SOFT, COMPLAINED, UNSUBSCRIBED, FAILED)
