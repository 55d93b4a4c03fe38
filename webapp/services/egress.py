"""Outgoing HTTP to URLs that organizations choose (webhook endpoints): refuse addresses inside
the deployment's own network, so a webhook cannot be aimed at internal services (SSRF).

One rule, used twice: when an endpoint is registered (API POST/PATCH and the settings form)
and right before each delivery. Every address the host name resolves to must be public —
loopback, private, link-local, unique-local, unspecified, and IPv6 forms that carry such an
IPv4 address (``::ffff:127.0.0.1``, NAT64, 6to4) are refused, however the host is spelled
(``2130706433``, ``0x7f.1``, ``0``, ``localhost``): the system resolver that the request will
use decides what the spelling means. The URL must also read the same to every parser: no
userinfo, backslash, whitespace or control character, and the host that :mod:`urllib`
connects to is the host that was checked. Redirects are not followed, so neither a later DNS
change nor a redirect leads inside. ``HERALD_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address
rule (local development, tests); the shape rule always holds.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.request
from urllib.parse import urlsplit

NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def url_shape_problem(url: str) -> str | None:
    """``None`` when ``url`` is a plain http(s) URL that every parser reads alike."""
    if not isinstance(url, str) or _UNSAFE.search(url):
        return "must not contain spaces, backslashes or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        connects_to = urllib.request.Request(url).host  # noqa: S310 - parsed, not opened
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if "@" in parts.netloc:
        return "must not contain a user name or password (put credentials in a header)"
    if connects_to != parts.netloc or (port is not None and not 0 < port < 65536):
        return "is not a valid URL"
    return None


def private_address_problem(url: str, *, unresolved_ok: bool = False) -> str | None:
    """``None`` when every address of the URL's host is public, else why the URL is refused.
    ``unresolved_ok``: a name that does not resolve (yet) is not an error (registration)."""
    host = urlsplit(url).hostname
    if not host:
        return "refused: the URL has no host"
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return f"refused: {host} resolves to a private or local address (loopback)"
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        if unresolved_ok:
            return None
        return f"could not resolve {host}: {getattr(exc, 'strerror', None) or exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not is_public(address):
            return f"refused: {host} resolves to a private or local address ({address})"
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable, and not an IPv6 wrapping of an IPv4 address that is not."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return True


def destination_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a request to ``url`` is refused right before it is made (``None``: go ahead)."""
    shape = url_shape_problem(url)
    if shape:
        return f"refused: the URL {shape}"
    return None if allow_private else private_address_problem(url)


def registration_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be registered as an endpoint, as a sentence for the form or API."""
    shape = url_shape_problem(url)
    if shape:
        return shape
    if allow_private:
        return None
    problem = private_address_problem(url, unresolved_ok=True)
    if problem:
        host = urlsplit(url).hostname
        address = problem.rsplit("(", 1)[-1].rstrip(")")
        return (
            f"points inside a private network ({host} is {address}); "
            "webhooks are only sent to public addresses"
        )
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx comes back as an HTTPError: the endpoint must answer itself


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects)
