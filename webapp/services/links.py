"""Absolute URLs for public links in emails, built on ``HERALD_PUBLIC_URL``.

The public routes are fixed here so that every part of Herald (rendering, sending, tracking)
agrees on them: ``/t/o/<token>`` open pixel, ``/t/c/<token>`` click redirect, ``/u/<token>``
unsubscribe (GET page, POST one-click), ``/p/<token>`` preferences, ``/i/<token>`` interview.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from flask import current_app

from webapp.services.tokens import codec, make_token


def public_url(path: str) -> str:
    return current_app.config["HERALD"].public_url + path


def _ids(org_id: uuid.UUID, message_id: uuid.UUID | None) -> list[str]:
    return [str(org_id), str(message_id) if message_id else ""]


def unsubscribe_url(org_id: uuid.UUID, email: str, message_id: uuid.UUID | None = None) -> str:
    token = make_token("unsubscribe", [*_ids(org_id, message_id), email.lower()])
    return public_url(f"/u/{token}")


def preferences_url(org_id: uuid.UUID, email: str) -> str:
    token = make_token("preferences", [str(org_id), email.lower()])
    return public_url(f"/p/{token}")


def open_pixel_url(org_id: uuid.UUID, message_id: uuid.UUID) -> str:
    return public_url(f"/t/o/{make_token('open', _ids(org_id, message_id))}")


def click_url(
    org_id: uuid.UUID, message_id: uuid.UUID, link_index: int, url: str | None = None
) -> str:
    """The tracked link; with ``url`` the token carries it (signed), so the redirect needs
    no database read. Only rendering mints these, for links of the message it renders."""
    payload: list = [*_ids(org_id, message_id), link_index]
    if url is not None:
        payload.append(url)
    return public_url(f"/t/c/{make_token('click', payload)}")


def click_urls(org_id: uuid.UUID, message_id: uuid.UUID) -> Callable[[int, str], str]:
    """``click_url(org_id, message_id, index, url)`` for the links of one message, with the
    parts they share (key, JSON prefix, base URL) worked out once."""
    signer = codec("click")
    base = public_url("/t/c/")
    prefix = json.dumps(_ids(org_id, message_id), separators=(",", ":"))[:-1] + ","

    def url(index: int, target: str) -> str:
        payload = f"{prefix}{int(index)},{json.dumps(target, ensure_ascii=False)}]"
        return base + signer.sign_json(payload)

    return url


def interview_url(org_id: uuid.UUID, entry_id: uuid.UUID, nonce: int) -> str:
    token = make_token("interview", [str(org_id), str(entry_id), nonce])
    return public_url(f"/i/{token}")
