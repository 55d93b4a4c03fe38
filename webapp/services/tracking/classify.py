"""Human or machine (REQUIREMENTS P7): a hit is a machine's when any rule says so.

Opens: HEAD requests, Apple Mail Privacy Protection (Apple's 17.0.0.0/8 network, or the bare
``Mozilla/5.0`` user agent its proxy sends), Google/Yahoo image proxies (user agent or Google's
proxy ranges), known scanners and HTTP libraries, and no user agent at all.
Clicks: the hidden honeypot link (no person can see it), HEAD requests, a click within
``TOO_SOON_SECONDS`` of sending, several different links of one message within
``BURST_SECONDS`` (a scanner opens them all), and scanner user agents.
The reason is stored with the event; machine events never count as engagement and never
trigger automation or ``message.opened``/``message.clicked`` webhooks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

TOO_SOON_SECONDS = 10
BURST_SECONDS = 10

APPLE_NETWORKS = ("17.0.0.0/8",)
GOOGLE_PROXY_NETWORKS = ("66.249.80.0/20", "66.102.0.0/20", "64.233.160.0/19", "72.14.192.0/18")
PROXY_AGENTS = (
    ("googleimageproxy", "google_image_proxy"),
    ("ggpht.com", "google_image_proxy"),
    ("yahoomailproxy", "yahoo_image_proxy"),
    ("outlook-ios-android", "outlook_prefetch"),
)
SCANNER_AGENTS = (
    "bot",
    "crawler",
    "spider",
    "scanner",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "curl/",
    "wget",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "headlesschrome",
    "barracuda",
    "mimecast",
    "proofpoint",
    "symantec",
    "forcepoint",
    "trendmicro",
    "zscaler",
    "safelinks",
    "microsoft office existence discovery",
)


@dataclass(frozen=True)
class Verdict:
    is_machine: bool
    reason: str = ""


HUMAN = Verdict(False)


@lru_cache(maxsize=1)
def _networks() -> tuple[tuple, tuple]:
    apple = tuple(ipaddress.ip_network(n) for n in APPLE_NETWORKS)
    google = tuple(ipaddress.ip_network(n) for n in GOOGLE_PROXY_NETWORKS)
    return apple, google


def _in(ip: str | None, networks: tuple) -> bool:
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def _agent_reason(user_agent: str) -> str:
    agent = (user_agent or "").lower()
    for needle, reason in PROXY_AGENTS:
        if needle in agent:
            return reason
    if any(needle in agent for needle in SCANNER_AGENTS):
        return "scanner_agent"
    return ""


def classify_open(*, method: str, user_agent: str, ip: str | None) -> Verdict:
    apple, google = _networks()
    if method == "HEAD":
        return Verdict(True, "head_request")
    if not (user_agent or "").strip():
        return Verdict(True, "no_user_agent")
    if user_agent.strip() == "Mozilla/5.0" or _in(ip, apple):
        return Verdict(True, "apple_mpp")
    reason = _agent_reason(user_agent)
    if reason:
        return Verdict(True, reason)
    if _in(ip, google):
        return Verdict(True, "google_image_proxy")
    return HUMAN


def classify_click(
    *,
    method: str,
    user_agent: str,
    is_honeypot: bool,
    seconds_since_send: float | None,
    distinct_links_in_burst: int,
) -> Verdict:
    if is_honeypot:
        return Verdict(True, "honeypot")
    if method == "HEAD":
        return Verdict(True, "head_request")
    reason = _agent_reason(user_agent)
    if reason:
        return Verdict(True, reason)
    if seconds_since_send is not None and 0 <= seconds_since_send < TOO_SOON_SECONDS:
        return Verdict(True, "too_soon_after_send")
    if distinct_links_in_burst >= 2:
        return Verdict(True, "link_burst")
    if not (user_agent or "").strip():
        return Verdict(True, "no_user_agent")
    return HUMAN
