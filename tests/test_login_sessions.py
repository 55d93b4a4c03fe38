"""Sessions end on the server: a copied cookie is worthless after sign-out, a password change,
a removal from the organization, or the idle time."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Membership
from webapp.services.accounts.members import set_password_url


def _sign_in(app, user, *, remember: bool = False):
    client = app.test_client()
    data = {"email": user.email, "password": factories.PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _replay(app, cookies: dict[str, str]):
    """A fresh browser holding nothing but the copied cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value, domain="localhost")
    return thief


def _copy(client, *names: str) -> dict[str, str]:
    copied = {}
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie was set"
        copied[name] = cookie.value
    return copied


def _signed_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_cookie_works_until_sign_out_then_never_again(app, user, org):
    browser = _sign_in(app, user)
    copied = _copy(browser, "session")
    assert _replay(app, copied).get("/").status_code == 200  # the copy is a real session

    assert browser.post("/logout").status_code == 302
    replayed = _replay(app, copied)
    assert _signed_out(replayed.get("/"))
    assert _signed_out(replayed.get("/settings/members"))
    assert _signed_out(replayed.post("/settings/", data={"name": "Hijacked"}))
    db.session.refresh(org)
    assert org.name == "Acme Talent"


def test_the_remember_me_cookie_dies_with_the_session(app, user):
    browser = _sign_in(app, user, remember=True)
    copied = _copy(browser, "remember_token")
    assert _replay(app, copied).get("/").status_code == 200
    browser.post("/logout")
    assert _signed_out(_replay(app, copied).get("/"))


def test_signing_out_on_one_device_keeps_the_others(app, user):
    laptop, phone = _sign_in(app, user), _sign_in(app, user)
    laptop.post("/logout")
    assert _signed_out(laptop.get("/"))
    assert phone.get("/").status_code == 200


def test_a_password_change_signs_out_every_session(app, client, user):
    laptop, phone = _sign_in(app, user), _sign_in(app, user)
    copied = _copy(laptop, "session")
    link = set_password_url(user).replace("http://herald.test", "")
    db.session.commit()
    new = "a brand new passphrase"
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 302
    assert _signed_out(laptop.get("/"))
    assert _signed_out(phone.get("/"))
    assert _signed_out(_replay(app, copied).get("/"))
    # the new password works
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": new}).status_code == 302
    assert fresh.get("/").status_code == 200


def test_removal_from_an_organization_ends_access_at_once(app, org, user):
    editor = factories.make_user("editor@acme.example", org=org, role="editor")
    db.session.commit()
    job = factories.make_job(org, "Site Reliability Engineer")
    db.session.commit()
    victim = _sign_in(app, editor)
    copied = _copy(victim, "session")
    assert "Site Reliability Engineer" in victim.get("/audience/jobs").get_data(as_text=True)

    owner = _sign_in(app, user)
    membership = db.session.scalars(select(Membership).where(Membership.user_id == editor.id)).one()
    assert owner.post(f"/settings/members/{membership.id}/remove").status_code == 302

    for browser in (victim, _replay(app, copied)):
        assert _signed_out(browser.get("/audience/jobs"))
        assert _signed_out(browser.get(f"/audience/jobs/{job.id}"))
        edit = browser.post(f"/audience/jobs/{job.id}/edit", data={"title": "Mine now"})
        assert _signed_out(edit)
    assert owner.get("/audience/jobs").status_code == 200  # the remover is not affected


def test_removal_from_one_organization_leaves_no_way_into_it(app, org, other_org, user):
    both = factories.make_user("both@example.com", org=org, role="editor")
    from webapp.services.accounts.organizations import add_member

    add_member(other_org, both, "editor")
    factories.make_job(org, "Acme-only Role")
    db.session.commit()
    person = _sign_in(app, both)
    person.post("/switch-org", data={"org_id": str(org.id)})
    assert "Acme-only Role" in person.get("/audience/jobs").get_data(as_text=True)

    owner = _sign_in(app, user)
    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == both.id, Membership.org_id == org.id)
    ).one()
    owner.post(f"/settings/members/{membership.id}/remove")

    assert _signed_out(person.get("/audience/jobs"))
    again = _sign_in(app, both)
    assert "Acme-only Role" not in again.get("/audience/jobs").get_data(as_text=True)
    assert again.post("/switch-org", data={"org_id": str(org.id)}).status_code == 404


@pytest.fixture
def short_idle(app_settings):
    app_settings["session_idle_minutes"] = 0.04  # 2.4 seconds


def test_a_session_ends_after_the_idle_time(short_idle, app, user):
    browser = _sign_in(app, user)
    copied = _copy(browser, "session")
    for _ in range(4):  # activity keeps it alive well past the idle time
        time.sleep(0.9)
        assert browser.get("/").status_code == 200
    time.sleep(3.0)
    assert _signed_out(browser.get("/"))
    assert _signed_out(_replay(app, copied).get("/"))
    # signing in again works at once
    assert _sign_in(app, user).get("/").status_code == 200


def test_a_copied_cookie_cannot_outlive_the_idle_time_by_itself(short_idle, app, user):
    browser = _sign_in(app, user, remember=True)
    copied = _copy(browser, "session", "remember_token")
    time.sleep(3.0)
    assert _signed_out(_replay(app, copied).get("/"))
    assert _signed_out(_replay(app, {"remember_token": copied["remember_token"]}).get("/"))
