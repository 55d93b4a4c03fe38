"""Which language a candidate reads: their locale, the same language without region
(``fr-CA`` → ``fr``), the organization's language, then English.

A language is available when its catalog exists under ``webapp/translations``; adding a
directory there adds a language, nothing else names the list.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

from webapp.config import PROJECT_ROOT

TRANSLATIONS_DIR = PROJECT_ROOT / "webapp" / "translations"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=1)
def available() -> frozenset[str]:
    """Languages that have a catalog (``messages.po``)."""
    found = {p.parent.parent.name for p in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po")}
    return frozenset(found | {DEFAULT_LANGUAGE})


@lru_cache(maxsize=1024)
def _normalized(tag: object) -> str:
    """``fr-ca`` / ``fr_CA`` → ``fr_CA``; anything unreadable → ``""``."""
    if not isinstance(tag, str) or not tag.strip():
        return ""
    try:
        return str(Locale.parse(tag.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return ""


@lru_cache(maxsize=1024)
def negotiate(*preferences: str) -> str:
    """The first of ``preferences`` (best first) Herald has a catalog for, exactly or by its
    language alone; English when none has."""
    have = available()
    for tag in preferences:
        name = _normalized(tag)
        if not name:
            continue
        if name in have:
            return name
        base = name.split("_", 1)[0]
        if base in have:
            return base
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=64)
def direction(language: str) -> str:
    """``rtl`` or ``ltr``, from the locale's script (CLDR)."""
    try:
        return Locale.parse(language or DEFAULT_LANGUAGE).text_direction
    except (UnknownLocaleError, ValueError, TypeError):
        return "ltr"
