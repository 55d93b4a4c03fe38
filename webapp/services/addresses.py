"""Email addresses as Herald stores them: validated, normalized, lower-cased.

``email_validator`` spends most of its time on the domain (IDNA, label and special-use
checks, ~0.1 ms an address), and a bulk request or an import names the same few domains again
and again. So a domain it accepted is remembered (per process, bounded), and an address whose
local part is plain ASCII dot-atom text at a remembered domain is accepted without asking it
again: that is exactly the case where its answer depends on the domain alone. Anything else
(a quoted or internationalized local part, a new or non-ASCII domain) goes through the full
check, with its own error message.
"""

from __future__ import annotations

import re
import threading

from email_validator import EmailNotValidError, validate_email

__all__ = ["EmailNotValidError", "normalized_address"]

# RFC 5322 atext, dot-separated, no leading, trailing or double dot (email_validator's
# DOT_ATOM_TEXT); 64 octets at most.
PLAIN_LOCAL = re.compile(r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*")
MAX_LOCAL = 64
MAX_ADDRESS = 254
KNOWN_DOMAINS = 4096

_domains: dict[str, str] = {}  # ASCII domain, lower-cased → its normalized form
_lock = threading.Lock()


def normalized_address(raw: str) -> str:
    """``raw`` validated (no DNS lookups) and lower-cased; raises ``EmailNotValidError``."""
    value = (raw or "").strip()
    local, at, domain = value.rpartition("@")
    key = domain.lower()
    known = _domains.get(key) if at else None
    if (
        known is not None
        and len(local) <= MAX_LOCAL
        and len(value) <= MAX_ADDRESS
        and PLAIN_LOCAL.fullmatch(local)
    ):
        return f"{local.lower()}@{known}"
    result = validate_email(value, check_deliverability=False)
    if key.isascii():
        _remember(key, result.domain.lower())
    return result.normalized.lower()


def _remember(key: str, normalized: str) -> None:
    with _lock:
        if len(_domains) >= KNOWN_DOMAINS:
            _domains.clear()
        _domains[key] = normalized
