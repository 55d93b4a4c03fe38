"""Sending domains: records to publish, DKIM key generation, DNS check (offline says so)."""

from __future__ import annotations

import base64

import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import SendingDomain
from webapp.services import crypto
from webapp.services.sending import domains


class FakeAnswer:
    def __init__(self, value: str):
        self.strings = [value.encode()]


class FakeResolver:
    """Stands in for DNS: this sandbox has no resolver to publish records on."""

    def __init__(self, records=None, fail=False):
        self.records, self.fail = records or {}, fail

    def resolve(self, name, rdtype, lifetime=None):
        if self.fail:
            raise dns.exception.Timeout()
        if name not in self.records:
            raise dns.resolver.NXDOMAIN()
        return [FakeAnswer(v) for v in self.records[name]]


def test_adding_a_domain_generates_a_usable_dkim_key(logged_in, org):
    response = logged_in.post("/settings/domains/add", data={"domain": "Mail.Example.com"})
    assert response.status_code == 302
    row = db.session.scalars(select(SendingDomain)).one()
    assert row.domain == "mail.example.com"
    key = serialization.load_pem_private_key(
        crypto.decrypt(row.dkim_private_key_encrypted).encode(), None
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64encode(public).decode() == row.dkim_public_key
    page = logged_in.get("/settings/domains").get_data(as_text=True)
    assert "herald._domainkey.mail.example.com" in page and "_dmarc.mail.example.com" in page
    assert "v=spf1" in page


def test_invalid_domain_is_explained_next_to_the_field(logged_in, org):
    response = logged_in.post("/settings/domains/add", data={"domain": "not a domain"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="not a domain"' in page
    assert "Enter a domain name" in page


def test_dns_check_reports_published_missing_and_unreachable(app, org):
    row = domains.add_domain(org.id, "mail.example.com")
    records = {
        "mail.example.com": ["v=spf1 include:sendgrid.net ~all"],
        "herald._domainkey.mail.example.com": [f"v=DKIM1; k=rsa; p={row.dkim_public_key}"],
    }
    results = domains.check(row, FakeResolver(records))
    assert {k: v["status"] for k, v in results.items()} == {
        "SPF": "ok",
        "DKIM": "ok",
        "DMARC": "missing",
    }
    offline = domains.check(row, FakeResolver(fail=True))
    assert {v["status"] for v in offline.values()} == {"unchecked"}
    assert "Could not reach DNS" in offline["SPF"]["detail"]
