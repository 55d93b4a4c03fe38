"""An organization's team chat channel: a Slack or Microsoft Teams incoming-webhook URL.

When set (Settings → Organization), Herald posts one short line there for each candidate's
answer and for each operational alert it emails to the admins (``guardrails.notify_admins``:
bulk sending paused, a webhook endpoint disabled). Both Slack and Teams incoming webhooks take
``{"text": …}``. The URL is a secret: stored encrypted in ``Organization.settings``, never shown
again, never logged. Posting happens in a worker after the commit (``jobs.chat.post_text``),
with a bounded timeout and the same private-address refusal as outgoing webhooks.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from flask import current_app

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import Organization
from webapp.services import crypto, egress, queues

logger = logging.getLogger(__name__)

SETTING = "chat_webhook_url"  # encrypted
TIMEOUT_SECONDS = 5
MAX_TEXT = 3000


class ChatError(ValueError):
    pass


def validate_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    allow_http = current_app.config["HERALD"].webhook_allow_private
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.hostname:
        raise ChatError("Paste the incoming-webhook URL, starting with https://.")
    if len(url) > 2000:
        raise ChatError("That URL is too long for an incoming webhook.")
    return url


def set_url(org: Organization, url: str | None) -> None:
    """Set (validated, encrypted) or, with an empty value, remove the channel."""
    settings = dict(org.settings or {})
    if url:
        settings[SETTING] = crypto.encrypt(validate_url(url))
    else:
        settings.pop(SETTING, None)
    org.settings = settings
    db.session.flush()


def has_url(org: Organization) -> bool:
    return bool((org.settings or {}).get(SETTING))


def post(org: Organization, text: str) -> bool:
    """Post ``text`` to the organization's channel after the commit; False when it has none."""
    if not has_url(org):
        return False
    after_commit(_enqueue, org.id, text[:MAX_TEXT])
    return True


def _enqueue(org_id: uuid.UUID, text: str) -> None:
    queues.enqueue_chat_post(org_id, text)


def deliver(org: Organization, text: str) -> tuple[int | None, str]:
    """One POST to the channel: ``(status code or None, error text)``."""
    encrypted = (org.settings or {}).get(SETTING)
    if not encrypted:
        return None, "no chat channel"
    url = crypto.decrypt(encrypted)
    if not current_app.config["HERALD"].webhook_allow_private:
        problem = egress.private_address_problem(url)
        if problem:
            return None, problem
    request = urllib.request.Request(  # noqa: S310 - http(s) URL checked on save, host checked above
        url,
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Herald-Chat/1"},
    )
    try:
        with egress.opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"could not connect: {getattr(exc, 'reason', exc)}"[:300]
