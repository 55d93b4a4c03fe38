"""Language tags: validating and normalizing them, and choosing the language of an email.

A tag is BCP 47-ish (``fr``, ``fr-CA``, ``pt-BR``, ``zh-Hant-TW``; ``fr_CA`` is accepted too)
and must be a locale Babel knows. It is stored normalized: language in lower case, script in
title case, region in upper case, joined by hyphens.

``choose`` is the one rule every send follows (docs/templates.md, "Languages"): the
candidate's locale, then the same language without its region (``fr-CA`` → ``fr``), then the
organization's default language (the same two steps), then the template's source language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$")
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur"})
# The languages Herald's own default templates come in (their words are in the catalogs).
DEFAULT_TEMPLATE_LANGUAGES = ("en", "de", "fr", "es", "ar")
DEFAULT_SOURCE = "en"


class LanguageError(ValueError):
    """A tag that is not a language Herald can use; the message says why, for people."""


@lru_cache(maxsize=1024)
def normalize(tag: str) -> str:
    """``tag`` in its stored form (``fr_ca`` → ``fr-CA``); raises ``LanguageError``."""
    cleaned = (tag or "").strip()
    if not cleaned:
        raise LanguageError("Give a language such as en, fr or pt-BR.")
    if len(cleaned) > 16 or not TAG.match(cleaned):
        raise LanguageError(
            f"“{cleaned[:40]}” is not a language tag (use one such as fr or pt-BR)."
        )
    try:
        locale = Locale.parse(cleaned.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise LanguageError(
            f"“{cleaned}” is not a language Herald knows (use a tag such as fr, de or pt-BR)."
        ) from None
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def normalize_or(tag: str | None, fallback: str) -> str:
    """The stored form of ``tag``, or ``fallback`` when it is empty or not a language."""
    try:
        return normalize(tag or "")
    except LanguageError:
        return fallback


def base(tag: str) -> str:
    """The language without its script or region: ``fr-CA`` → ``fr``."""
    return (tag or "").replace("_", "-").split("-", 1)[0].lower()


def direction(tag: str) -> str:
    return "rtl" if base(tag) in RIGHT_TO_LEFT else "ltr"


def display_name(tag: str, in_language: str = "en") -> str:
    """``pt-BR`` → "Portuguese (Brazil)"; the tag itself when Babel does not know it."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(in_language)
    except (UnknownLocaleError, ValueError, TypeError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


def language_name(tag: str, in_language: str = "en") -> str:
    """The language alone: ``pt-BR`` → "Portuguese"."""
    return display_name(base(tag), in_language)


@dataclass(frozen=True)
class Choice:
    language: str
    reason: str  # exact | language | org_default | source

    @property
    def is_fallback(self) -> bool:
        return self.reason in ("org_default", "source")


def choose(
    wanted: str | None, available: list[str] | tuple[str, ...] | set[str], org_default: str | None,
    source: str,
) -> Choice:  # fmt: skip
    """The language to send in, among ``available`` (which holds ``source``)."""
    by_lower = {tag.lower(): tag for tag in available}
    for tag, reasons in ((wanted, ("exact", "language")), (org_default, ("org_default",) * 2)):
        found = _match(tag, by_lower)
        if found is not None:
            return Choice(found[0], reasons[0] if found[1] else reasons[1])
    return Choice(source, "source")


def _match(tag: str | None, by_lower: dict[str, str]) -> tuple[str, bool] | None:
    """(available tag, exact?) for ``tag`` or its language alone."""
    cleaned = (tag or "").strip().replace("_", "-").lower()
    if not cleaned:
        return None
    if cleaned in by_lower:
        return by_lower[cleaned], True
    if base(cleaned) in by_lower:
        return by_lower[base(cleaned)], False
    return None


def fallback_reason(wanted: str, choice: Choice) -> str:
    """Why ``wanted`` gets ``choice``, for people: "no Portuguese variant"."""
    if choice.reason in ("exact", "language"):
        return ""
    return f"no {language_name(wanted)} variant"
