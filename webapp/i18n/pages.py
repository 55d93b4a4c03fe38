"""Herald's pages in the reader's language: ``_()`` in page templates, ``lang`` and ``dir``.

A candidate page chooses its language once (:func:`use_language`, from the candidate's locale
and then the organization's); everything the request renders afterwards — the page, its
notices, its dates — speaks that language. The dashboard does not choose: its strings are
marked for translation and read in English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from flask import Flask, g, has_request_context

from webapp.i18n.catalogs import translate, translate_plural
from webapp.i18n.languages import DEFAULT_LANGUAGE, direction, negotiate
from webapp.services.scheduling import zone


def page_language() -> str:
    if has_request_context():
        return g.get("language") or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def use_language(*preferences: str | None) -> str:
    """Choose this request's language: the first of ``preferences`` with a catalog (exact,
    then without region), else English."""
    g.language = negotiate(*(p or "" for p in preferences))
    return g.language


def gettext(message: str, **variables: Any) -> str:
    text = translate(page_language(), message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translate_plural(page_language(), singular, plural, num) % variables


def when(at: datetime, tz_name: str, fallback_tz: str = "UTC") -> dict[str, str]:
    """A moment in the reader's zone and language: the date, the time, the zone's name, and
    all three in one line ("mardi 1 décembre 2026, 10:00 (heure normale d'Europe centrale)")."""
    language = page_language()
    local = at.astimezone(zone(tz_name, fallback_tz))
    date_text = format_date(local, "full", locale=language)
    time_text = format_time(local, "short", locale=language)
    zone_name = get_timezone_name(local, "long", locale=language)
    joined = Locale.parse(language).datetime_formats["medium"].replace("'", "")
    both = joined.format(time_text, date_text)
    full = f"{both} ({zone_name})"
    return {"date": date_text, "time": time_text, "zone": zone_name, "full": full}


def zone_name(tz_name: str, at: datetime | None = None) -> str:
    """A time zone as people read it, in the page's language."""
    return get_timezone_name(at or zone(tz_name, "UTC"), "long", locale=page_language())


def _page_language_globals() -> dict[str, str]:
    language = page_language()
    return {"page_lang": language.replace("_", "-"), "page_dir": direction(language)}


def init_app(app: Flask) -> None:
    """``_``, ``gettext`` and ``ngettext`` in every page template (Jinja's i18n extension,
    new style: ``_("Hello %(name)s", name=x)`` escapes ``x``), and ``page_lang``/``page_dir``."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translate(page_language(), message),
        lambda singular, plural, num: translate_plural(page_language(), singular, plural, num),
        newstyle=True,
    )
    app.context_processor(_page_language_globals)
