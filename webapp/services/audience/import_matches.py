"""Import rows that match an existing candidate (by external id, else by email address).

A matching row is never applied silently. Its changes (only the columns the file fills in,
old → new) are kept on the ``ImportRun`` and shown in the report; the candidate is updated
only when the user chose "update" before the import (``ImportRun.on_match``) or applies the
listed changes afterwards (``apply_skipped``). The default is to skip and report.

When a candidate does change, the emails not yet sent to them change with them (address,
name, and the candidate data in their context), so one message never carries the old
version of a person in ``To:`` and the new one in its body.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Candidate, ImportRun, Message, MessageStatus, utcnow
from webapp.services.templates.context_data import candidate_data

CHANGEABLE = ("email", "first_name", "last_name", "timezone", "locale", "external_id")
MAX_KEPT = 5000  # matched rows listed on a run; the counts stay exact beyond that
PENDING = (MessageStatus.SCHEDULED.value, MessageStatus.QUEUED.value, MessageStatus.DEFERRED.value)


def current_values(org_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    columns = [Candidate.id, *(getattr(Candidate, name) for name in CHANGEABLE)]
    rows = db.session.execute(
        select(*columns, Candidate.attributes).where(
            Candidate.org_id == org_id, Candidate.id.in_(ids)
        )
    )
    return {row.id: dict(row._mapping) for row in rows}


def changes(current: dict[str, Any], values: dict[str, Any]) -> dict[str, list]:
    """Field → [old, new] for the columns the row fills in and that differ."""
    found: dict[str, list] = {}
    for name in CHANGEABLE:
        if name in values.get("given", CHANGEABLE) and values[name] != current[name]:
            found[name] = [current[name], values[name]]
    if values.get("attributes"):
        merged = {**(current["attributes"] or {}), **values["attributes"]}
        if merged != (current["attributes"] or {}):
            found["attributes"] = [current["attributes"] or {}, merged]
    return found


def settle(run: ImportRun, matched: list[tuple[uuid.UUID, dict[str, Any]]]) -> int:
    """Record the matching rows of a batch and update them if the run says so; returns how
    many candidates were updated."""
    current = current_values(run.org_id, [cid for cid, _ in matched])
    entries, updates = [], []
    for cid, values in matched:
        diff = changes(current[cid], values)
        if not diff:
            continue
        status = "updated" if run.on_match == "update" else "skipped"
        entries.append(_entry(values["line"], cid, current[cid], diff, status))
        if status == "updated":
            updates.append((cid, {name: new for name, (_, new) in diff.items()}))
    apply_changes(run.org_id, updates)
    run.skipped_count += sum(1 for e in entries if e["status"] == "skipped")
    if len(run.matched) < MAX_KEPT:
        run.matched = [*run.matched, *entries]
    return len(updates)


def _entry(line: int, cid: uuid.UUID, current: dict, diff: dict, status: str) -> dict[str, Any]:
    name = " ".join(p for p in (current["first_name"], current["last_name"]) if p)
    return {
        "row": line,
        "candidate_id": str(cid),
        "name": name or current["email"],
        "changes": diff,
        "status": status,
    }


def apply_skipped(run: ImportRun) -> tuple[int, int]:
    """Apply the changes the report lists as skipped; a field someone changed since the
    import is left alone. Returns (applied, left because changed since)."""
    skipped = [e for e in run.matched if e["status"] == "skipped"]
    current = current_values(run.org_id, [uuid.UUID(e["candidate_id"]) for e in skipped])
    updates, stale, entries = [], 0, []
    for entry in run.matched:
        cid = uuid.UUID(entry["candidate_id"])
        if entry["status"] != "skipped" or cid not in current:
            entries.append(entry)
            continue
        fresh = all(current[cid][f] == old for f, (old, _) in entry["changes"].items())
        if fresh:
            updates.append((cid, {f: new for f, (_, new) in entry["changes"].items()}))
        stale += 0 if fresh else 1
        entries.append({**entry, "status": "updated" if fresh else "changed_since"})
    apply_changes(run.org_id, updates)
    run.matched = entries
    run.updated_count += len(updates)
    run.skipped_count = max(0, run.skipped_count - len(skipped))
    return len(updates), stale


def apply_changes(org_id: uuid.UUID, updates: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    """Update the candidates, then their emails not yet sent."""
    if not updates:
        return
    now = utcnow()
    for cid, fields in updates:
        db.session.execute(
            update(Candidate)
            .where(Candidate.org_id == org_id, Candidate.id == cid)
            .values(**fields, updated_at=now)
        )
    sync_pending_messages(org_id, [cid for cid, _ in updates])


def sync_pending_messages(org_id: uuid.UUID, candidate_ids: list[uuid.UUID]) -> int:
    """Give unsent messages the candidates' current address, name and data."""
    candidates = {
        c.id: c
        for c in db.session.scalars(
            select(Candidate).where(Candidate.org_id == org_id, Candidate.id.in_(candidate_ids))
        )
    }
    for candidate in candidates.values():
        db.session.refresh(candidate)
    messages = db.session.scalars(
        select(Message).where(
            Message.org_id == org_id,
            Message.candidate_id.in_(list(candidates)),
            Message.status.in_(PENDING),
        )
    ).all()
    for message in messages:
        candidate = candidates[message.candidate_id]
        message.to_email, message.to_name = candidate.email, candidate.full_name
        if isinstance(message.context, dict) and "candidate" in message.context:
            message.context = {**message.context, "candidate": candidate_data(candidate)}
    db.session.flush()
    return len(messages)
