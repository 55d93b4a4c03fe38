"""The compiled catalogs, loaded once per process.

``make install`` compiles every ``messages.po`` to ``messages.mo`` (``pybabel compile``). So
that a plain ``pip install -e .`` or a freshly edited catalog also works, a ``.mo`` that is
missing or older than its ``.po`` is compiled here when first needed: written beside the
``.po`` when the directory is writable, else kept in memory. ``.mo`` files are build output
and never committed.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from webapp.i18n.languages import DEFAULT_LANGUAGE, TRANSLATIONS_DIR, available

logger = logging.getLogger(__name__)
DOMAIN = "messages"

_loaded: dict[str, NullTranslations] = {}
_lock = threading.Lock()


def _paths(language: str) -> tuple[Path, Path]:
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def compiled_catalog(po_path: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` (fuzzy entries left out, as ``pybabel compile``)."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _load(language: str) -> NullTranslations:
    po_path, mo_path = _paths(language)
    if not po_path.exists():
        return NullTranslations()
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    data = compiled_catalog(po_path)
    try:
        mo_path.write_bytes(data)
    except OSError:
        logger.info("catalog %s compiled in memory (directory not writable)", language)
    return Translations(io.BytesIO(data), domain=DOMAIN)


def translations(language: str) -> NullTranslations:
    """The translations of ``language`` (an available one; anything else reads English)."""
    if language not in available():
        language = DEFAULT_LANGUAGE
    found = _loaded.get(language)
    if found is None:
        with _lock:
            found = _loaded.get(language)
            if found is None:
                found = _loaded[language] = _load(language)
    return found


def N_(message: str) -> str:  # gettext's conventional name, which pybabel finds
    """Mark a string for the catalogs where it is defined; it is translated where it is shown."""
    return message


_trusted: dict[str, dict] = {}


def _trusted_entries(language: str) -> dict:
    """Every catalog entry ``language`` has, over the English ones it has not translated."""
    found = _trusted.get(language)
    if found is None:
        found = {}
        for name in (DEFAULT_LANGUAGE, language):
            catalog = getattr(translations(name), "_catalog", {})
            found.update((k, v) for k, v in catalog.items() if k and isinstance(v, str) and v)
        _trusted[language] = found
    return found


def known(language: str, message: str) -> str | None:
    """The translation when Herald's catalogs have ``message`` (English when this language
    has not translated it yet), else ``None``, not the message itself: a caller may trust
    catalog text that it would not trust from elsewhere."""
    return _trusted_entries(language).get(message)


def knows_plural(language: str, singular: str) -> bool:
    return (singular, 0) in _trusted_entries(language)


def translate(language: str, message: str) -> str:
    return translations(language).gettext(message)


def translate_plural(language: str, singular: str, plural: str, count: int) -> str:
    return translations(language).ngettext(singular, plural, count)
