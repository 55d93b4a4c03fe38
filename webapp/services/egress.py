"""Outgoing HTTP to URLs that organizations choose (webhook endpoints): refuse addresses inside
the deployment's own network, so a webhook cannot be aimed at internal services (SSRF).

Every address the host name resolves to must be public; the check runs right before each
request, and redirects are not followed, so neither a later DNS change nor a redirect leads
inside. ``HERALD_WEBHOOK_ALLOW_PRIVATE=true`` lifts the rule (local development, tests).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit


def private_address_problem(url: str) -> str | None:
    """``None`` when every address of the URL's host is public, else why the URL is refused."""
    host = urlsplit(url).hostname
    if not host:
        return "refused: the URL has no host"
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"could not resolve {host}: {exc.strerror or exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            return f"refused: {host} resolves to a private or local address ({address})"
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx comes back as an HTTPError: the endpoint must answer itself


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects)
