"""Addresses are judged the same with or without the remembered domains (services.addresses).

Herald accepts, refuses and writes an address exactly as ``email_validator`` does; the
remembered domains only make a repeated domain cheap. Each address is checked on a cold
start and again once its domain is known, against the library's own answer.
"""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from webapp.services import addresses
from webapp.services.addresses import normalized_address

LOCAL_PARTS = [
    "ada", "Ada.Lovelace", "a+tag", "o'brien", "x_y-z", "a..b", ".ada", "ada.", "a b",
    '"quoted"', "ümlaut", "a" * 64, "a" * 65, "", "a@b", "{weird}|~", "tab\tbed", "dot.",
    "nul\x00", "x=y",
]  # fmt: skip
DOMAINS = [
    "example.com", "Example.COM", "mail.example.org", "sub-domain.example.co.uk", "localhost",
    "example", "-bad.com", "bad-.com", "exa_mple.com", "123.com", "example.123", "bücher.de",
    "xn--bcher-kva.de", "a." * 100 + "com", "example.invalid", "example..com", "[127.0.0.1]",
    "", "example.com.", "test",
]  # fmt: skip


def _library(value: str) -> str | None:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _ours(value: str) -> str | None:
    try:
        return normalized_address(value)
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_address_at_a_domain_is_judged_as_the_library_judges_it(domain, monkeypatch):
    monkeypatch.setattr(addresses, "_domains", {})
    values = [f"{local}@{domain}" for local in LOCAL_PARTS] + [f"  ada@{domain} ", domain]
    cold = {value: _ours(value) for value in values}  # the first valid one teaches the domain
    warm = {value: _ours(value) for value in values}
    expected = {value: _library(value) for value in values}
    assert cold == expected
    assert warm == expected


def test_an_address_too_long_in_all_is_refused_even_at_a_known_domain(monkeypatch):
    monkeypatch.setattr(addresses, "_domains", {})
    domain = "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".example.com"
    assert normalized_address(f"ada@{domain}") == f"ada@{domain}"
    with pytest.raises(EmailNotValidError):
        normalized_address(f"{'a' * 64}@{domain}")
