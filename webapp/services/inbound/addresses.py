"""Herald's own addresses for incoming mail: VERP return paths and reply addresses.

When an organization turns it on (``Organization.settings["inbound"]``), every message leaves
with the envelope sender ``bounces+<token>@<bounce domain>``, so a bounce or a feedback-loop
report names the exact message it is about; and, when replies are on, with ``Reply-To:
reply+<token>@<reply domain>``, so a candidate's answer comes back to Herald and on to the
recruiter. Tokens are signed (``tokens.make_address_token``): ``herald inbound`` accepts a
recipient only when its token verifies, which is what keeps it from ever being an open relay.

The bounce domain is ``HERALD_BOUNCE_DOMAIN`` or ``bounces.<sending domain>``: a subdomain of
the From domain keeps SPF aligned with it under DMARC's relaxed alignment, and DKIM signs the
From domain as before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from webapp.services.tokens import InvalidToken, make_address_token, read_address_token

SETTINGS_KEY = "inbound"
BOUNCE_LOCAL = "bounces"
REPLY_LOCAL = "reply"
FEEDBACK_LOCAL = "feedback"  # the address to register with feedback loops, per organization
FORWARD_KIND = "reply_forward"  # a candidate's reply, forwarded to the recruiter
_PURPOSE = {BOUNCE_LOCAL: "bounce", REPLY_LOCAL: "reply", FEEDBACK_LOCAL: "feedback"}


@dataclass(frozen=True)
class Switches:
    return_path: bool = False  # VERP envelope sender: bounces and complaints come to Herald
    replies: bool = False  # Reply-To points at Herald, which forwards to the recruiter


@dataclass(frozen=True)
class Recipient:
    purpose: str  # "bounce" | "reply" | "feedback"
    message_id: uuid.UUID  # for "feedback": the organization's id


def switches(org: Any) -> Switches:
    values = (org.settings or {}).get(SETTINGS_KEY) or {}
    return Switches(bool(values.get("return_path")), bool(values.get("replies")))


def set_switches(org: Any, *, return_path: bool, replies: bool) -> None:
    settings = dict(org.settings or {})
    settings[SETTINGS_KEY] = {"return_path": bool(return_path), "replies": bool(replies)}
    org.settings = settings  # a new dict, so the JSON column is seen as changed


def bounce_domain(sending_domain: str, settings: Any) -> str:
    return (settings.bounce_domain or f"bounces.{sending_domain}").lower()


def reply_domain(sending_domain: str, settings: Any) -> str:
    return (settings.reply_domain or f"replies.{sending_domain}").lower()


def bounce_address(message_id: uuid.UUID, sending_domain: str, settings: Any) -> str:
    token = make_address_token("bounce", message_id)
    return f"{BOUNCE_LOCAL}+{token}@{bounce_domain(sending_domain, settings)}"


def reply_address(message_id: uuid.UUID, sending_domain: str, settings: Any) -> str:
    token = make_address_token("reply", message_id)
    return f"{REPLY_LOCAL}+{token}@{reply_domain(sending_domain, settings)}"


def feedback_address(org_id: uuid.UUID, sending_domain: str, settings: Any) -> str:
    token = make_address_token("feedback", org_id)
    return f"{FEEDBACK_LOCAL}+{token}@{bounce_domain(sending_domain, settings)}"


def return_path(
    org: Any, message_id: uuid.UUID, sending_domain: str, settings, default: str
) -> str:
    """The envelope sender (MAIL FROM) of one message: VERP when the organization wants it."""
    if not switches(org).return_path:
        return default
    return bounce_address(message_id, sending_domain, settings)


def reply_to(org: Any, message: Any, sending_domain: str, settings: Any) -> str:
    """The Reply-To header: the candidate for a forwarded reply, Herald's reply address when
    replies are on, else the organization's own Reply-To (or none)."""
    if message.kind == FORWARD_KIND:
        candidate = " ".join(str((message.context or {}).get("reply_to") or "").split())
        return candidate if candidate.isascii() and "@" in candidate else org.reply_to
    if switches(org).replies and message.kind != "notice":
        address = reply_address(message.id, sending_domain, settings)
        return formataddr((org.sender_name or org.name, address), charset="utf-8")
    return org.reply_to


def parse_recipient(address: str) -> Recipient | None:
    """``bounces+<token>@…`` or ``reply+<token>@…`` with a valid token, else None."""
    local = parseaddr(address or "")[1].rpartition("@")[0].lower()
    name, plus, token = local.partition("+")
    purpose = _PURPOSE.get(name)
    if not plus or purpose is None:
        return None
    try:
        return Recipient(purpose, read_address_token(purpose, token))
    except InvalidToken:
        return None


def herald_host(settings: Any) -> str:
    """The host name the MX records point at: the one in ``HERALD_PUBLIC_URL``."""
    from urllib.parse import urlsplit

    return (urlsplit(settings.public_url).hostname or "localhost").lower()


def dns_records(domain: str, settings: Any, wanted: Switches) -> list[dict[str, str]]:
    """The records that bring bounces and replies for ``domain`` to ``herald inbound``."""
    found: list[dict[str, str]] = []
    mx_value = f"10 {herald_host(settings)}."
    if wanted.return_path:
        bounces = bounce_domain(domain, settings)
        found += [
            {
                "kind": "Bounce MX",
                "type": "MX",
                "host": bounces,
                "value": mx_value,
                "why": "Bounces and feedback-loop reports for the return path "
                f"bounces+…@{bounces} reach herald inbound (or your Postfix in front of it).",
            },
            {
                "kind": "Bounce SPF",
                "type": "TXT",
                "host": bounces,
                "value": f"v=spf1 include:{domain} ~all",
                "why": "The return path is on this subdomain, so receivers check SPF here: it "
                "allows whatever the sending domain's SPF allows, and DMARC stays aligned.",
            },
        ]
    if wanted.replies:
        found.append(
            {
                "kind": "Reply MX",
                "type": "MX",
                "host": reply_domain(domain, settings),
                "value": mx_value,
                "why": "Candidates' replies to reply+… addresses reach herald inbound.",
            }
        )
    return found
