"""Open-pixel and click hits: verify the token, classify, push one event to Redis.

The pixel reads no database row and answers the same image whatever the token (P2). A click
redirects only to an ``http(s)`` URL that the message itself contained (P1): the token names
the URL, signed when the message was rendered (its signing time stands for the send time), so
the redirect reads no row; tokens minted before URLs travelled in them name only the link's
index, and those read the message's links and send time from the database. Tokens name
their organization and message and are signed, so an event can never attach to another
organization's message; the drain checks again that the message belongs to the token's
organization.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.services import events, ratelimit
from webapp.services.tokens import InvalidToken, read_token, read_token_with_time
from webapp.services.tracking.classify import BURST_SECONDS, classify_click, classify_open

logger = logging.getLogger(__name__)

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
HONEYPOT = "__honeypot__"


def token_ids(payload: object, size: int) -> tuple[uuid.UUID, uuid.UUID] | None:
    """``(org_id, message_id)`` from a verified open/click payload of ``size`` items."""
    if not isinstance(payload, list) or len(payload) != size:
        return None
    try:
        return uuid.UUID(payload[0]), uuid.UUID(payload[1])
    except (ValueError, TypeError, AttributeError):
        return None


def open_event(token: str, *, method: str, user_agent: str, ip: str | None) -> dict | None:
    """The ``opened`` event for a valid token, or ``None``. No I/O at all."""
    try:
        ids = token_ids(read_token("open", token), 2)
    except InvalidToken:
        return None
    if ids is None:
        return None
    verdict = classify_open(method=method, user_agent=user_agent, ip=ip)
    return events.make_event(
        org_id=ids[0],
        message_id=ids[1],
        type="opened",
        is_machine=verdict.is_machine,
        machine_reason=verdict.reason,
        user_agent=user_agent,
    )


# The token bucket of ``webapp.services.ratelimit`` plus "push the event when allowed", in
# one script: the pixel's hot path is then a single Redis round trip.
_LIMIT_AND_PUSH = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + (now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
  if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[4]) end
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {allowed, tostring(wait)}
"""


def limit_and_push(
    conn: redis.Redis, key: str, limit_per_minute: int, event: dict | None
) -> ratelimit.Verdict:
    """Take a token from the client's public bucket (the one ``webapp.throttle.enforce``
    uses) and, when allowed, push the event. Redis down: fail open, the event is lost
    (logged) and the pixel still answers."""
    payload = json.dumps(event, separators=(",", ":")) if event is not None else ""
    try:
        script = conn.register_script(_LIMIT_AND_PUSH)
        allowed, wait = script(
            keys=[f"herald:rl:{key}", events.EVENTS_KEY],
            args=[limit_per_minute / 60.0, limit_per_minute, time.time(), payload],
        )
    except redis.RedisError:
        logger.warning("open event lost: Redis unavailable")
        return ratelimit.Verdict(True, 0.0)
    return ratelimit.Verdict(bool(int(allowed)), float(wait))


@dataclass(frozen=True)
class ClickTarget:
    org_id: uuid.UUID
    message_id: uuid.UUID
    link_index: int
    url: str  # the http(s) URL, or HONEYPOT
    sent_at: object


def resolve_click(token: str) -> ClickTarget | None:
    """The URL this click token stands for, or ``None`` (→ uniform 404, no redirect)."""
    try:
        payload, signed_at = read_token_with_time("click", token)
    except InvalidToken:
        return None
    if isinstance(payload, list) and len(payload) == 4:
        return _carried_target(payload, signed_at)
    ids = token_ids(payload, 3)
    index = payload[2] if ids else None
    if ids is None or not _is_index(index):
        return None
    row = db.session.execute(
        select(Message.org_id, Message.links, Message.sent_at).where(Message.id == ids[1])
    ).first()
    if row is None or row.org_id != ids[0] or index >= len(row.links or []):
        return None
    url = row.links[index]
    if not _is_target(url):
        return None
    return ClickTarget(ids[0], ids[1], index, url, row.sent_at)


def _carried_target(payload: list, signed_at: int) -> ClickTarget | None:
    ids = token_ids(payload[:3], 3)
    index, url = payload[2], payload[3]
    if ids is None or not _is_index(index) or not _is_target(url):
        return None
    return ClickTarget(ids[0], ids[1], index, url, datetime.fromtimestamp(signed_at, UTC))


def _is_index(index: object) -> bool:
    return isinstance(index, int) and not isinstance(index, bool) and index >= 0


def _is_target(url: object) -> bool:
    if not isinstance(url, str):
        return False
    return url == HONEYPOT or url.lower().startswith(("http://", "https://"))


def _burst_size(conn: redis.Redis, target: ClickTarget) -> int:
    """Distinct links of this message clicked in the last ``BURST_SECONDS`` (this one too)."""
    key = f"herald:clicks:{target.message_id}"
    now = time.time()
    pipe = conn.pipeline(transaction=False)
    pipe.zadd(key, {str(target.link_index): now})
    pipe.zremrangebyscore(key, 0, now - BURST_SECONDS)
    pipe.zcard(key)
    pipe.expire(key, BURST_SECONDS * 3)
    return int(pipe.execute()[2])


def record_click(conn: redis.Redis, target: ClickTarget, *, method: str, user_agent: str) -> None:
    try:
        burst = 0 if target.url == HONEYPOT else _burst_size(conn, target)
        since = (utcnow() - target.sent_at).total_seconds() if target.sent_at else None
        verdict = classify_click(
            method=method,
            user_agent=user_agent,
            is_honeypot=target.url == HONEYPOT,
            seconds_since_send=since,
            distinct_links_in_burst=burst,
        )
        events.push_event(
            conn,
            org_id=target.org_id,
            message_id=target.message_id,
            type="clicked",
            is_machine=verdict.is_machine,
            machine_reason=verdict.reason,
            url=None if target.url == HONEYPOT else target.url,
            user_agent=user_agent,
            data={"link_index": target.link_index},
        )
    except redis.RedisError:
        logger.warning("click event lost: Redis unavailable")
