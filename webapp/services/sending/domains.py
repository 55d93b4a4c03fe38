"""Sending domains: the SPF, DKIM and DMARC records to publish, DKIM keys, and a DNS check.

The DKIM private key is generated here (RSA 2048) and kept encrypted; the sending pipeline
signs with it (selector ``SendingDomain.dkim_selector``). The DNS check uses dnspython with a
short timeout; where DNS cannot be reached (an offline install) the result says it could not
check instead of claiming the records are wrong.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import SendingDomain, utcnow
from webapp.services import crypto

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
DNS_LIFETIME = 3.0


def valid_domain(domain: str) -> bool:
    return bool(DOMAIN_RE.match((domain or "").strip().lower()))


def add_domain(org_id: uuid.UUID, domain: str) -> SendingDomain:
    domain = domain.strip().lower()
    row = db.session.scalars(
        select(SendingDomain).where(SendingDomain.org_id == org_id, SendingDomain.domain == domain)
    ).first()
    if row is None:
        row = SendingDomain(org_id=org_id, domain=domain, dkim_selector="herald", check_results={})
        db.session.add(row)
        generate_dkim(row)
    db.session.flush()
    return row


def generate_dkim(row: SendingDomain) -> None:
    """A new RSA 2048 key pair; the old key stops signing once this is saved."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    row.dkim_private_key_encrypted = crypto.encrypt(pem)
    row.dkim_public_key = base64.b64encode(der).decode()
    row.check_results = {}
    row.last_checked_at = None


def records(row: SendingDomain, inbound: Any = None) -> list[dict[str, str]]:
    """What to publish: type, host, value, and why; with ``inbound`` (the organization's
    bounce and reply switches) also the MX and SPF records of the bounce and reply domains."""
    from flask import current_app

    from webapp.services.inbound.addresses import dns_records

    extra = dns_records(row.domain, current_app.config["HERALD"], inbound) if inbound else []
    return [
        {
            "kind": "SPF",
            "type": "TXT",
            "host": row.domain,
            "value": "v=spf1 mx a ~all",
            "why": "Lets receivers check the sending server is allowed. Add your relay's "
            "include: (for example include:sendgrid.net) before ~all.",
        },
        {
            "kind": "DKIM",
            "type": "TXT",
            "host": f"{row.dkim_selector}._domainkey.{row.domain}",
            "value": f"v=DKIM1; k=rsa; p={row.dkim_public_key}",
            "why": "The public key receivers use to verify Herald's signature on every message.",
        },
        {
            "kind": "DMARC",
            "type": "TXT",
            "host": f"_dmarc.{row.domain}",
            "value": f"v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:dmarc@{row.domain}",
            "why": "Tells receivers what to do with mail that fails SPF and DKIM, and where to "
            "send reports. Start with p=none if you are unsure.",
        },
        *extra,
    ]


def _txt(resolver: Any, name: str) -> list[str]:
    try:
        answer = resolver.resolve(name, "TXT", lifetime=DNS_LIFETIME)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(r.strings).decode(errors="replace") for r in answer]


def _mx(resolver: Any, name: str) -> list[str]:
    try:
        answer = resolver.resolve(name, "MX", lifetime=DNS_LIFETIME)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [f"{r.preference} {r.exchange.to_text().lower()}" for r in answer]


def _matches(kind: str, found: list[str], row: SendingDomain, value: str = "") -> bool:
    if kind.endswith(" MX"):
        return any(v.split()[-1] == value.split()[-1] for v in found)
    if kind == "Bounce SPF":
        return any(v.replace(" ", "") == value.replace(" ", "") for v in found)
    if kind == "SPF":
        return any(v.lower().startswith("v=spf1") for v in found)
    if kind == "DMARC":
        return any(v.upper().startswith("V=DMARC1") for v in found)
    compact = [v.replace(" ", "") for v in found]
    return any(f"p={row.dkim_public_key}" in v for v in compact)


def check(row: SendingDomain, resolver: Any = None, inbound: Any = None) -> dict[str, Any]:
    """Look the records up; ``status`` per record is ok | missing | unchecked."""
    resolver = resolver or dns.resolver.Resolver()
    results: dict[str, Any] = {}
    for record in records(row, inbound):
        lookup = _mx if record["type"] == "MX" else _txt
        try:
            found = lookup(resolver, record["host"])
        except (dns.exception.DNSException, OSError) as exc:
            results[record["kind"]] = {
                "status": "unchecked",
                "detail": f"Could not reach DNS ({type(exc).__name__}); try again when online.",
            }
            continue
        ok = _matches(record["kind"], found, row, record["value"])
        results[record["kind"]] = {
            "status": "ok" if ok else "missing",
            "detail": "Found." if ok else ("Not found." if not found else "Found, but different."),
        }
    row.check_results = results
    row.last_checked_at = utcnow()
    db.session.flush()
    return results
