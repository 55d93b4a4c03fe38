"""Herald's own words in the candidate's language: gettext catalogs, language choice, formats.

The catalogs are ``webapp/translations/<lang>/LC_MESSAGES/messages.po`` (docs/i18n.md says how
to add a language or a string). Candidate pages use :mod:`webapp.i18n.pages`; the email sandbox
gets its ``_`` from :mod:`webapp.i18n.sandbox`.
"""

from webapp.i18n.catalogs import translate, translate_plural, translations
from webapp.i18n.languages import DEFAULT_LANGUAGE, available, direction, negotiate

__all__ = [
    "DEFAULT_LANGUAGE",
    "available",
    "direction",
    "negotiate",
    "translate",
    "translate_plural",
    "translations",
]
