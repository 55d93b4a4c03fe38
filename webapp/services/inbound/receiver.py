"""``herald inbound``: the SMTP receiver (aiosmtpd) for bounces, complaints and replies.

It runs as the MX of the bounce and reply subdomains, or behind the organization's Postfix
(docs/bounces.md). What it promises:

- **Never an open relay.** ``RCPT TO`` is accepted only for Herald's own addresses with a
  valid signed token (``bounces+…``, ``reply+…``, ``feedback+…``); anything else is refused
  with ``550 5.1.1`` before any data is sent, and nothing received is ever relayed.
- **Nothing lost.** The raw bytes are written to the database (an ``InboundMail`` row,
  committed) before ``250`` is answered; then a processing job is enqueued. If Redis is down
  the row waits and the sweeper (``jobs.inbound.sweep_inbound``) enqueues it; if processing
  fails the row stays, is retried, and is never deleted.
- **Limits.** Mail over ``HERALD_INBOUND_MAX_BYTES`` is refused (552) while it is read; more
  than ``HERALD_INBOUND_MAX_CONNECTIONS`` concurrent sessions get ``421``; a client address
  sending more than ``HERALD_INBOUND_RATE_PER_MINUTE`` messages a minute gets ``451`` (try
  later) at ``MAIL FROM``; at most ``MAX_RECIPIENTS`` recipients per message; idle sessions are
  dropped after ``SESSION_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
import uuid
from collections import defaultdict, deque

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from flask import Flask

from webapp.extensions import db
from webapp.models import InboundMail
from webapp.services import queues
from webapp.services.inbound.addresses import parse_recipient

logger = logging.getLogger(__name__)
MAX_RECIPIENTS = 20
SESSION_TIMEOUT = 60


class Limits:
    """Counters shared by every session of one receiver process."""

    def __init__(self, max_connections: int, rate_per_minute: int):
        self.max_connections, self.rate_per_minute = max_connections, rate_per_minute
        self.active = 0
        self._recent: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow_message(self, peer: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent[peer]
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.rate_per_minute:
                return False
            recent.append(now)
            return True


class LimitedSMTP(SMTP):
    """aiosmtpd's SMTP session, refusing connections beyond the limit with 421."""

    def __init__(self, handler, *, limits: Limits, **kwargs):
        super().__init__(handler, **kwargs)
        self._limits, self._counted = limits, False

    def connection_made(self, transport) -> None:
        if self._limits.active >= self._limits.max_connections:
            transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
            transport.close()
            return
        self._limits.active += 1
        self._counted = True
        super().connection_made(transport)

    def connection_lost(self, exc) -> None:
        if not self._counted:
            return
        self._counted = False
        self._limits.active -= 1
        super().connection_lost(exc)


def store(app: Flask, *, peer: str, mail_from: str, rcpt_tos: list[str], data: bytes) -> uuid.UUID:
    """Write the mail durably (committed), then enqueue its processing (best effort)."""
    with app.app_context():
        row = InboundMail(
            source="smtp",
            peer=peer[:100],
            mail_from=mail_from[:400],
            rcpt_to=rcpt_tos,
            raw=data,
            size=len(data),
        )
        db.session.add(row)
        db.session.flush()
        row_id = row.id  # before the commit expires the row
        db.session.commit()
        db.session.remove()
        enqueue(row_id)
    return row_id


def enqueue(row_id: uuid.UUID) -> None:
    try:
        queues.enqueue_inbound(row_id)
    except Exception:  # Redis down: the row is stored; the sweeper enqueues it later
        logger.warning("incoming mail %s stored; enqueueing failed, the sweeper will", row_id)


class InboundHandler:
    def __init__(self, app: Flask, limits: Limits):
        self.app, self.limits = app, limits

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        peer = session.peer[0] if session.peer else "?"
        if not self.limits.allow_message(peer):
            return "451 4.7.1 Too many messages from your address, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.app.app_context():  # the signing keys are the app's settings
            known = parse_recipient(address) is not None
        if not known:
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if session.peer else ""
        loop = asyncio.get_running_loop()
        try:
            row_id = await loop.run_in_executor(
                None,
                lambda: store(
                    self.app,
                    peer=peer,
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=data,
                ),
            )
        except Exception:
            logger.exception("could not store incoming mail")
            return "451 4.3.0 Could not store the message, try again later"
        return f"250 2.0.0 Accepted {row_id}"


class InboundController(Controller):
    def __init__(self, app: Flask, host: str, port: int):
        settings = app.config["HERALD"]
        self.limits = Limits(settings.inbound_max_connections, settings.inbound_rate_per_minute)
        super().__init__(
            InboundHandler(app, self.limits),
            hostname=host,
            port=port,
            data_size_limit=settings.inbound_max_bytes,
            timeout=SESSION_TIMEOUT,
            server_hostname="herald-inbound",
        )

    def factory(self):
        return LimitedSMTP(self.handler, limits=self.limits, **self.SMTP_kwargs)


def serve_forever(app: Flask, host: str, port: int) -> None:
    """Run until SIGTERM or SIGINT."""
    controller = InboundController(app, host, port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    controller.start()
    logger.info("herald inbound listening on %s:%s", host, port)
    try:
        stop.wait()
    finally:
        controller.stop()
