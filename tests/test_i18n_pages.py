# ruff: noqa: RUF001  French typography writes the apostrophe as U+2019, as the catalogs do
"""Candidate pages in the candidate's language, opened through their real signed links.

The language is the candidate's locale, then the same language without its region (``fr-CA``
reads French), then the organization's, then English; ``lang`` and ``dir`` say it, and dates,
times and zone names are written in it, in the candidate's own zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.test_interview_lifecycle import calendar_of, received, send_now
from webapp.extensions import db
from webapp.models import Message, ShortlistEntry
from webapp.services.interviews import links as interview_links
from webapp.services.links import preferences_url, unsubscribe_url
from webapp.services.tokens import make_token

INTERVIEW_AT = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)

# (locale, zone, lang, dir, words on the interview page, the date, the time, the zone's name)
CASES = {
    "fr": ("fr-CA", "Europe/Paris", "fr", "ltr", ["Entretien pour Backend Engineer",
           "Bonjour Ada,", "Accepter l’entretien", "Décliner"], "mardi 2 mars 2027", "10:00",
           "heure normale d’Europe centrale"),
    "de": ("de", "Europe/Berlin", "de", "ltr", ["Vorstellungsgespräch für Backend Engineer",
           "Hallo Ada,", "Gespräch zusagen", "Absagen"], "Dienstag, 2. März 2027", "10:00",
           "Mitteleuropäische Normalzeit"),
    "ar": ("ar", "Asia/Dubai", "ar", "rtl", ["مقابلة لوظيفة Backend Engineer", "مرحبًا Ada،",
           "اقبل المقابلة", "اعتذر عن الحضور"], "الثلاثاء، 2 مارس 2027", "1:00 م", "توقيت الخليج"),
}  # fmt: skip


def path_of(url: str) -> str:
    return url.split("herald.test", 1)[1]


def invited(org, locale: str, zone: str, email: str = "ada@example.com") -> ShortlistEntry:
    candidate = factories.make_candidate(org, email, first_name="Ada", locale=locale, timezone=zone)
    entry = factories.make_shortlist(org, candidates=[candidate]).entries[0]
    entry.interview_at, entry.response_status, entry.duration_minutes = INTERVIEW_AT, "invited", 45
    factories.make_sent_invitation(org, entry)
    db.session.commit()
    return entry


def html_attributes(page: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', page)
    assert match, page[:200]
    return match.group(1), match.group(2)


@pytest.mark.parametrize("case", CASES)
def test_the_interview_page_speaks_the_candidates_language(client, org, case):
    locale, zone, lang, direction, words, date, time, zone_name = CASES[case]
    entry = invited(org, locale, zone)
    page = client.get(path_of(interview_links.invite_url(entry))).get_data(as_text=True)
    assert html_attributes(page) == (lang, direction)
    for word in [*words, date, time, zone_name]:
        assert word in page, word
    assert "Accept the interview" not in page and "When" not in page


def test_an_answer_is_thanked_and_confirmed_by_email_in_french(smtp_server, client, org):
    entry = invited(org, "fr-CA", "Europe/Paris")
    url = path_of(interview_links.invite_url(entry))
    page = client.post(url, data={"action": "accept"}).get_data(as_text=True)
    assert "Merci\u00a0! Votre entretien est confirmé." in page
    assert "Votre réponse\u00a0: acceptée." in page and "mardi 2 mars 2027" in page
    (confirmation,) = db.session.scalars(
        select(Message).where(
            Message.shortlist_entry_id == entry.id, Message.kind == "confirmation"
        )
    )
    send_now(confirmation)
    mail = received(smtp_server)
    assert mail["Subject"] == (
        "Confirmé : votre entretien pour Backend Engineer le mardi 2 mars 2027"  # spaces made plain
    )
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "Quand\u00a0:" in html  # a no-break space keeps the colon on the line
    assert "Quand :" in text  # the text converter prints it as a space, on every path
    for body in (html, text):
        assert "Bonjour Ada, merci d’avoir confirmé votre entretien" in body.replace("&#39;", "'")
        assert "45 min" in body and "Cordialement," in body
        assert "Préférences e-mail" in body and "Se désabonner" in body
    assert "Kind regards" not in html
    (event,) = calendar_of(mail).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Entretien\u00a0: Backend Engineer (Acme Talent)"
    assert str(event["DESCRIPTION"]).startswith("Entretien pour Backend Engineer chez Acme Talent.")


def test_an_unknown_language_falls_back_to_the_organizations_then_english(client, org):
    entry = invited(org, "pt-BR", "America/Sao_Paulo")
    url = path_of(interview_links.invite_url(entry))
    page = client.get(url).get_data(as_text=True)
    assert html_attributes(page) == ("en", "ltr") and "Accept the interview" in page
    org.locale = "es"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert html_attributes(page) == ("es", "ltr") and "Aceptar la entrevista" in page
    assert "martes, 2 de marzo de 2027" in page


@pytest.mark.parametrize(
    ("locale", "lang", "direction", "words"),
    [
        ("fr", "fr", "ltr", ["Préférences e-mail", "Enregistrer mes choix", "Rappels d’entretien",
                             "Me désabonner de tout", "Une fois par semaine"]),
        ("de-AT", "de", "ltr", ["E-Mail-Einstellungen", "Meine Auswahl speichern",
                                "Erinnerungen an Gespräche", "Von allem abmelden"]),
        ("ar", "ar", "rtl", ["تفضيلات البريد الإلكتروني", "احفظ اختياراتي", "تذكيرات المقابلات",
                             "ألغِ الاشتراك في كل شيء"]),
    ],
)  # fmt: skip
def test_unsubscribe_and_preference_pages_speak_the_candidates_language(
    client, org, locale, lang, direction, words
):
    entry = invited(org, locale, "Europe/Paris")
    invitation = db.session.scalars(select(Message).where(Message.shortlist_entry_id == entry.id))
    message_id = next(iter(invitation)).id
    for url in (unsubscribe_url(org.id, "ada@example.com", message_id),
                preferences_url(org.id, "ada@example.com")):  # fmt: skip
        page = client.get(path_of(url)).get_data(as_text=True)
        assert html_attributes(page) == (lang, direction)
        for word in words:
            assert word in page, (url, word)
        assert "Save my choices" not in page


def test_the_page_answer_to_a_choice_is_in_the_candidates_language(client, org):
    invited(org, "fr", "Europe/Paris")
    url = path_of(preferences_url(org.id, "ada@example.com"))
    page = client.post(url, data={"action": "unsubscribe"}).get_data(as_text=True)
    assert "Vous êtes désabonné de tout." in page and "Me réabonner" in page
    page = client.post(url, data={"action": "resubscribe"}).get_data(as_text=True)
    assert "Bon retour parmi nous" in page


@pytest.mark.parametrize(
    ("org_locale", "lang", "direction", "title"),
    [("fr", "fr", "ltr", "Ce lien n’est plus valide"), ("de", "de", "ltr",
      "Dieser Link ist nicht mehr gültig"), ("ar", "ar", "rtl", "هذا الرابط لم يعد صالحًا")],
)  # fmt: skip
def test_a_dead_link_answers_in_the_organizations_language(client, org, org_locale, lang,
                                                           direction, title):  # fmt: skip
    org.locale = org_locale
    db.session.commit()
    dead = [
        "/i/" + make_token("interview", [str(org.id), "00000000-0000-0000-0000-000000000000", 0]),
        path_of(preferences_url(org.id, "ada@example.com"))[:-3] + "xyz",
    ]
    for url in dead:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert html_attributes(page) == (lang, direction) and title in page
        assert "Acme Talent" in page and "This link is no longer valid" not in page


def test_other_errors_on_a_candidate_link_get_the_branded_page_in_its_language(client, org):
    org.locale = "de"
    entry = invited(org, "", "Europe/Berlin")
    response = client.put(path_of(interview_links.invite_url(entry)))
    page = response.get_data(as_text=True)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert (
        html_attributes(page) == ("de", "ltr") and "Diese Seite kann nicht angezeigt werden" in page
    )
    assert "Back to the dashboard" not in page


def test_the_dashboard_stays_english_and_marks_its_layout(logged_in):
    page = logged_in.get("/").get_data(as_text=True)
    assert html_attributes(page) == ("en", "ltr")
    assert "Skip to content" in page and "Sign out" in page and ">Templates<" in page


def test_one_click_unsubscribe_answers_the_mail_client_unchanged(client, org):
    invited(org, "ar", "Asia/Dubai")
    url = path_of(unsubscribe_url(org.id, "ada@example.com"))
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert (
        response.status_code == 200 and response.get_data(as_text=True) == "You are unsubscribed.\n"
    )
