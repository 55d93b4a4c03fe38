"""Run side effects (enqueue a job, send a webhook) only once the transaction committed.

``after_commit(fn, *args)`` queues a call on the current session; it runs after a successful
commit and is dropped on rollback, so a request that fails leaves no job behind (REQUIREMENTS Q3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.extensions import db

logger = logging.getLogger(__name__)
_KEY = "herald.after_commit"


def after_commit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    db.session().info.setdefault(_KEY, []).append((fn, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    for fn, args, kwargs in pending:
        try:
            fn(*args, **kwargs)
        except Exception:
            # The data is committed; the sweeper re-enqueues what the database says is due.
            logger.exception("after-commit hook %s failed", getattr(fn, "__name__", fn))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # only the outermost transaction
        session.info.pop(_KEY, None)
