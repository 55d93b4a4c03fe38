"""One campaign's report: its funnel and the recipients table (filterable, exportable)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select

from webapp.extensions import db
from webapp.models import Message, ShortlistEntry
from webapp.services.stats.funnel import Funnel, funnel_for

PAGE_SIZE = 50
UNANSWERED = ("pending", "invited")
YES_NO = ("", "yes", "no")
CSV_HEADER = (
    "email",
    "name",
    "state",
    "sent_at",
    "opened",
    "opened_at",
    "opens_human",
    "opens_machine",
    "clicked",
    "clicked_at",
    "clicks_human",
    "clicks_machine",
    "answer",
    "last_error",
)


@dataclass(frozen=True)
class RecipientFilter:
    state: str = ""  # a message status, or "" for every state
    opened: str = ""  # "yes" | "no" | ""  (a person opened: machine opens do not count)
    clicked: str = ""
    answered: str = ""
    search: str = ""  # part of the address or name

    @classmethod
    def from_args(cls, args) -> RecipientFilter:
        def yes_no(name: str) -> str:
            value = (args.get(name) or "").strip().lower()
            return value if value in YES_NO else ""

        return cls(
            state=(args.get("state") or "").strip().lower()[:16],
            opened=yes_no("opened"),
            clicked=yes_no("clicked"),
            answered=yes_no("answered"),
            search=(args.get("q") or "").strip()[:200],
        )

    @property
    def is_active(self) -> bool:
        return any((self.state, self.opened, self.clicked, self.answered, self.search))


@dataclass(frozen=True)
class Recipient:
    message_id: uuid.UUID
    email: str
    name: str
    state: str
    sent_at: datetime | None
    opened_at: datetime | None
    open_count: int
    machine_open_count: int
    clicked_at: datetime | None
    click_count: int
    machine_click_count: int
    answer: str | None  # the shortlist entry's response, when the message invited to one
    last_error: str

    @property
    def engagement_opened(self) -> str:
        return _engagement(self.opened_at, self.machine_open_count)

    @property
    def engagement_clicked(self) -> str:
        return _engagement(self.clicked_at, self.machine_click_count)

    @property
    def has_answered(self) -> bool:
        return bool(self.answer) and self.answer not in UNANSWERED


def _engagement(human_at: datetime | None, machine_count: int) -> str:
    if human_at is not None:
        return "yes"
    return "machine only" if machine_count else "no"


def _yes_no(statement: Select, value: str, condition) -> Select:
    if value == "yes":
        return statement.where(condition)
    if value == "no":
        return statement.where(~condition)
    return statement


def _recipients_query(org_id: uuid.UUID, campaign_id: uuid.UUID, flt: RecipientFilter) -> Select:
    statement = (
        select(Message, ShortlistEntry.response_status)
        .outerjoin(ShortlistEntry, ShortlistEntry.id == Message.shortlist_entry_id)
        .where(Message.org_id == org_id, Message.campaign_id == campaign_id)
    )
    if flt.state:
        statement = statement.where(Message.status == flt.state)
    if flt.search:
        term = flt.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{term}%"  # what was typed, literally: % and _ are not wildcards here
        statement = statement.where(
            or_(
                Message.to_email.ilike(pattern, escape="\\"),
                Message.to_name.ilike(pattern, escape="\\"),
            )
        )
    statement = _yes_no(statement, flt.opened, Message.opened_at.is_not(None))
    statement = _yes_no(statement, flt.clicked, Message.clicked_at.is_not(None))
    answered = ShortlistEntry.response_status.is_not(None) & ShortlistEntry.response_status.not_in(
        UNANSWERED
    )
    return _yes_no(statement, flt.answered, answered)


def _recipient(message: Message, answer: str | None) -> Recipient:
    return Recipient(
        message.id,
        message.to_email,
        message.to_name,
        message.status,
        message.sent_at,
        message.opened_at,
        message.open_count,
        message.machine_open_count,
        message.clicked_at,
        message.click_count,
        message.machine_click_count,
        answer,
        message.last_error,
    )


def recipients_page(
    org_id: uuid.UUID, campaign_id: uuid.UUID, flt: RecipientFilter, page: int = 1
) -> tuple[list[Recipient], bool]:
    """One page of recipients by address, and whether there is a next page."""
    page = max(1, page)
    statement = (
        _recipients_query(org_id, campaign_id, flt)
        .order_by(Message.to_email, Message.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = [_recipient(msg, answer) for msg, answer in db.session.execute(statement)]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def recipients_csv_rows(
    org_id: uuid.UUID, campaign_id: uuid.UUID, flt: RecipientFilter
) -> Iterator[tuple]:
    """Every recipient matching the filter, as CSV rows (read in chunks, not all at once)."""
    statement = _recipients_query(org_id, campaign_id, flt).order_by(Message.to_email, Message.id)
    result = db.session.execute(statement.execution_options(yield_per=500))
    for message, answer in result:
        r = _recipient(message, answer)
        yield (
            r.email,
            r.name,
            r.state,
            _iso(r.sent_at),
            r.engagement_opened,
            _iso(r.opened_at),
            r.open_count,
            r.machine_open_count,
            r.engagement_clicked,
            _iso(r.clicked_at),
            r.click_count,
            r.machine_click_count,
            r.answer or "",
            r.last_error,
        )


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def campaign_funnel(org_id: uuid.UUID, campaign_id: uuid.UUID) -> Funnel:
    return funnel_for(org_id, campaign_id=campaign_id)
