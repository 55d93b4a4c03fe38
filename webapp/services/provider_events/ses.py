"""Amazon SES events via SNS (W3).

The SNS message signature is checked (SignatureVersion 1: RSA SHA1, 2: RSA SHA256) with the
certificate at ``SigningCertURL``, which must be ``https://sns.<region>.amazonaws.com/….pem``
(anything else is refused before any fetch, see :func:`sns_url`). The topic ARN must be on the
organization's allow-list. A ``SubscriptionConfirmation`` fetches its ``SubscribeURL`` (same
host rule) only after the signature verified. Certificates are cached per URL in the process.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.request
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from webapp.services.provider_events import (
    Context,
    Incoming,
    ProviderEvent,
    Rejected,
    from_iso,
    read_json,
)
from webapp.services.tracking.classify import classify_open

LABEL = "Amazon SES (via SNS)"
FIELDS = (("topic_arns", "Allowed SNS topic ARNs (one per line)", False),)
_SNS_HOST = r"(?P<host>sns\.[a-z]{2,6}(?:-[a-z]+)+-[0-9]{1,2}\.amazonaws\.com(?:\.cn)?)"
SNS_CERT_URL = re.compile(r"https://" + _SNS_HOST + r"/[A-Za-z0-9_-]{1,200}\.pem", re.ASCII)
SNS_SUBSCRIBE_URL = re.compile(
    r"https://"
    + _SNS_HOST
    + r"/\?Action=ConfirmSubscription(?:&(?:[A-Za-z0-9._~:=+-]|%[0-9A-Fa-f]{2})*)*",
    re.ASCII,
)
NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
SUBSCRIPTION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_certificates: dict[str, x509.Certificate] = {}


def is_sns_url(url: str, *, suffix: str = "") -> bool:
    """Whether ``url`` is an Amazon SNS URL: a certificate (``suffix=".pem"``) or a
    subscription link. See :func:`sns_url`."""
    return sns_url(url, certificate=suffix == ".pem") is not None


def sns_url(url: object, *, certificate: bool) -> str | None:
    """``url`` when it is exactly ``https://sns.<region>.amazonaws.com[.cn]/<path>``, else None.

    The whole string must match one strict pattern (no userinfo, port, backslash, whitespace,
    fragment, percent-escape outside the query, or anything else a second parser could read
    differently), and the parser that fetches it (:class:`urllib.request.Request`) must then
    see the same host and path: a URL that passes goes to the host that was checked.
    """
    pattern = SNS_CERT_URL if certificate else SNS_SUBSCRIBE_URL
    match = pattern.fullmatch(url) if isinstance(url, str) and len(url) <= 2048 else None
    if match is None:
        return None
    try:
        request = urllib.request.Request(url)  # noqa: S310 - parsed, not opened
        parts = urlsplit(url)
    except ValueError:
        return None
    host = match["host"]
    if request.host != host or parts.hostname != host or parts.port is not None:
        return None
    if request.selector != url.removeprefix("https://" + host):
        return None
    return url


def string_to_sign(message: dict) -> bytes:
    keys = NOTIFICATION_KEYS if message.get("Type") == "Notification" else SUBSCRIPTION_KEYS
    lines = []
    for key in keys:
        if key in message and message[key] is not None:
            lines += [key, str(message[key])]
    return ("\n".join(lines) + "\n").encode()


def _certificate(url: str, ctx: Context) -> x509.Certificate:
    if url not in _certificates:
        try:
            _certificates[url] = x509.load_pem_x509_certificate(_fetch(ctx, url))
        except ValueError as exc:
            raise Rejected("signing certificate could not be read") from exc
        if len(_certificates) > 50:
            _certificates.pop(next(iter(_certificates)))
    return _certificates[url]


def _fetch(ctx: Context, url: str) -> bytes:
    try:
        return ctx.fetch(url)
    except OSError as exc:  # Amazon unreachable: SNS retries on a 5xx
        raise Rejected(f"could not fetch {urlsplit(url).path}: {type(exc).__name__}", 503) from exc


def verify(message: dict, settings: dict, ctx: Context) -> None:
    allowed = {line.strip() for line in settings.get("topic_arns", "").splitlines() if line.strip()}
    if message.get("TopicArn") not in allowed:
        raise Rejected("topic is not on the allow-list", 403)
    cert_url = sns_url(message.get("SigningCertURL"), certificate=True)
    if cert_url is None:
        raise Rejected("certificate URL is not an SNS certificate URL")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(message.get("SignatureVersion")))  # noqa: S303 - SNS SignatureVersion 1 is SHA1 by definition
    if algorithm is None:
        raise Rejected("unknown SignatureVersion")
    try:
        signature = base64.b64decode(message.get("Signature", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected("malformed signature") from exc
    key = _certificate(cert_url, ctx).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Rejected("unexpected certificate key type")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise Rejected("signature does not match") from exc


def parse(incoming: Incoming, settings: dict, ctx: Context) -> list[ProviderEvent]:
    message = read_json(incoming.body)
    if not isinstance(message, dict):
        raise ValueError("SNS posts a JSON object")
    verify(message, settings, ctx)
    if message.get("Type") == "SubscriptionConfirmation":
        subscribe_url = sns_url(message.get("SubscribeURL"), certificate=False)
        if subscribe_url is None:
            raise Rejected("SubscribeURL is not an SNS URL")
        _fetch(ctx, subscribe_url)  # confirms the subscription
        return []
    if message.get("Type") != "Notification":
        return []
    return _events(message["MessageId"], read_json(str(message["Message"]).encode()), ctx)


def _events(sns_id: str, inner: dict, ctx: Context) -> list[ProviderEvent]:
    kind = inner.get("eventType") or inner.get("notificationType") or ""
    mail = inner.get("mail") or {}
    base = {
        "herald_id": _herald_id(mail),
        "message_id_header": (mail.get("commonHeaders") or {}).get("messageId"),
        "provider_message_id": mail.get("messageId"),
    }
    detail = inner.get(kind[:1].lower() + kind[1:]) or {}
    if kind == "Bounce":
        hard = detail.get("bounceType") == "Permanent"
        emails = [r.get("emailAddress", "") for r in detail.get("bouncedRecipients") or []]
        extra = {"bounce_type": "hard" if hard else "soft"}
        return _per_recipient(sns_id, "bounced", emails, detail, ctx, base, extra)
    if kind == "Complaint":
        emails = [r.get("emailAddress", "") for r in detail.get("complainedRecipients") or []]
        return _per_recipient(sns_id, "complained", emails, detail, ctx, base, {})
    simple = {
        "Delivery": "delivered",
        "DeliveryDelay": "deferred",
        "Open": "opened",
        "Click": "clicked",
    }
    if kind not in simple:
        return []
    emails = detail.get("recipients") or (mail.get("destination") or [""])[:1]
    events = _per_recipient(sns_id, simple[kind], emails, detail, ctx, base, {})
    for event in events:
        event.url, event.user_agent = detail.get("link"), str(detail.get("userAgent", ""))[:500]
        if kind == "Open":
            verdict = classify_open(
                method="GET", user_agent=event.user_agent, ip=detail.get("ipAddress")
            )
            event.is_machine, event.machine_reason = verdict.is_machine, verdict.reason
    return events


def _per_recipient(sns_id, kind, emails, detail, ctx, base, extra) -> list[ProviderEvent]:
    when = from_iso(detail.get("timestamp"), ctx.now)
    return [
        ProviderEvent(f"{sns_id}:{index}", kind, when, email=email, data=dict(extra), **base)
        for index, email in enumerate(emails)
    ]


def _herald_id(mail: dict) -> str | None:
    tags = mail.get("tags") or {}
    if tags.get("herald_message_id"):
        return tags["herald_message_id"][0]
    for header in mail.get("headers") or []:
        if str(header.get("name", "")).lower() == "x-herald-message-id":
            return header.get("value")
    return None
