"""Every word Herald shows a candidate is in every catalog (docs/i18n.md).

The messages are extracted with Babel's own extractors from the files candidates read: the
public pages, the interview page, the default emails and their layout, and the Python that
words the notices and errors on those pages. Each must have a translation, not fuzzy, with
the same placeholders, in every language Herald ships; a string added to one of those files
without its translations fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from webapp.config import PROJECT_ROOT
from webapp.i18n.languages import TRANSLATIONS_DIR, available

SHIPPED = ("en", "de", "fr", "es", "ar")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
CANDIDATE_TEMPLATES = ("templates/public/*.html", "templates/interviews/*.html",
                       "templates/emails/*.mjml")  # fmt: skip
CANDIDATE_PYTHON = (
    "webapp/interviews/views.py",
    "webapp/preferences/views.py",
    "webapp/link_pages.py",
    "webapp/services/consent/preferences.py",
    "webapp/services/interviews/links.py",
    "webapp/services/rendering/filters.py",
    "webapp/services/interviews/calendar.py",
)


def _extracted(method: str, path: Path) -> set[str | tuple[str, ...]]:
    found = set()
    for _line, message, _comments, _context in extract_from_file(method, str(path), KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(m for m in message if m))
    return found


def candidate_messages() -> set[str | tuple[str, ...]]:
    messages: set[str | tuple[str, ...]] = set()
    for pattern in CANDIDATE_TEMPLATES:
        for path in sorted(PROJECT_ROOT.glob(pattern)):
            messages |= _extracted("jinja2", path)
    for name in CANDIDATE_PYTHON:
        messages |= _extracted("python", PROJECT_ROOT / name)
    return messages


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_the_candidate_files_have_words_to_translate():
    messages = candidate_messages()
    assert {"This link is no longer valid", "Unsubscribe", "Accept the interview"} <= messages
    assert ("%(num)s minute", "%(num)s minutes") in messages
    assert len(messages) > 120


def test_herald_ships_the_five_languages():
    assert set(SHIPPED) <= available()


@pytest.mark.parametrize("language", sorted(set(SHIPPED) | available()))
def test_every_candidate_message_is_translated(language):
    entries = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog(language)}
    problems = []
    for message in sorted(candidate_messages(), key=str):
        entry = entries.get(message)
        strings = [] if entry is None else ([entry.string] if isinstance(message, str)
                                            else list(entry.string))  # fmt: skip
        if entry is None:
            problems.append(f"missing: {message!r}")
        elif entry.fuzzy or not strings or not all(strings):
            problems.append(f"not translated: {message!r}")
    assert not problems, f"{language}: " + "; ".join(problems)


PLACEHOLDER = re.compile(r"%\((\w+)\)s")
PERCENT = re.compile(r"%(?!\(\w+\)s|%)")  # a % that is neither %(name)s nor %%


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", sorted(set(SHIPPED) | available()))
def test_translations_keep_the_placeholders(language):
    errors = [f"{m.id!r}: {', '.join(map(str, p))}" for m, p in catalog(language).check()]
    for entry in (e for e in catalog(language) if e.id):
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        given = set().union(*(_placeholders(i) for i in ids)) | ({"num"} if len(ids) > 1 else set())
        for string in filter(None, strings):
            if not _placeholders(string) <= given or PERCENT.search(string):
                errors.append(f"{entry.id!r}: {string!r} does not match the placeholders")
    assert not errors, f"{language}: " + "; ".join(errors)


def test_a_catalog_never_compiled_is_compiled_when_first_needed(tmp_path, monkeypatch, client, org):
    """``pip install -e .`` without ``make install`` leaves no ``.mo``: the first page that
    needs a language compiles its catalog (and keeps it for the next start)."""
    import shutil

    from tests.test_i18n_pages import invited, path_of
    from webapp.i18n import catalogs, languages
    from webapp.services.interviews import links as interview_links

    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(languages, "TRANSLATIONS_DIR", copy)
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", copy)
    monkeypatch.setattr(catalogs, "_loaded", {})
    monkeypatch.setattr(catalogs, "_trusted", {})
    languages.available.cache_clear()
    try:
        entry = invited(org, "fr", "Europe/Paris")
        page = client.get(path_of(interview_links.invite_url(entry))).get_data(as_text=True)
    finally:
        languages.available.cache_clear()
    assert "Accepter l’entretien" in page  # noqa: RUF001  French apostrophe
    assert (copy / "fr" / "LC_MESSAGES" / "messages.mo").exists()
    assert not (copy / "de" / "LC_MESSAGES" / "messages.mo").exists()  # only what was needed
