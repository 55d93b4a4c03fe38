"""Organization settings and members: invite, change role, remove, with owner safeguards."""

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, Membership, Message, User


def test_owner_updates_organization_settings(logged_in, org):
    response = logged_in.post(
        "/settings/",
        data={
            "name": "Acme Hiring",
            "timezone": "Europe/Berlin",
            "postal_address": "1 Road",
            "sender_name": "Acme",
            "sender_email": "jobs@acme.example",
            "reply_to": "",
            "sending_domain": "Mail.Acme.Example",
            "reminder_offsets": "2, 24",
            "open_tracking": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "Acme Hiring"
    assert org.sending_domain == "mail.acme.example"
    assert org.reminder_offsets_hours == [24, 2]
    assert org.click_tracking is False
    assert db.session.scalars(select(AuditLog.action)).all() == ["settings.update"]


def test_invalid_settings_keep_input_and_show_errors(logged_in, org):
    response = logged_in.post(
        "/settings/",
        data={
            "name": "Typed name",
            "timezone": "Europe/Berlin",
            "sending_domain": "not a domain",
            "reminder_offsets": "soon",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a domain such as mail.example.com." in page
    assert "Use whole hours separated by commas" in page
    assert 'value="Typed name"' in page
    db.session.refresh(org)
    assert org.name == "Acme Talent"


def test_invite_new_member_creates_account_and_queues_email(logged_in, org):
    response = logged_in.post(
        "/settings/members/invite", data={"email": "New.Person@Example.com", "role": "editor"}
    )
    assert response.status_code == 302
    new_user = db.session.scalars(select(User).where(User.email == "new.person@example.com")).one()
    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == new_user.id)
    ).one()
    assert membership.role == "editor"
    message = db.session.scalars(select(Message)).one()
    assert message.to_email == "new.person@example.com"
    assert "/set-password/" in message.raw_text
    page = logged_in.get("/settings/members").get_data(as_text=True)
    assert "invitation pending" in page


def test_invited_person_sets_password_once(client, logged_in, org):
    logged_in.post("/settings/members/invite", data={"email": "x@example.com", "role": "viewer"})
    link = db.session.scalars(select(Message.raw_text)).one().split("\n")[3]
    path = link.replace("http://herald.test", "")
    logged_in.post("/logout")
    response = client.post(
        path, data={"password": "a good long password", "confirm": "a good long password"}
    )
    assert response.status_code == 302
    assert (
        client.post(
            path, data={"password": "another password!", "confirm": "another password!"}
        ).status_code
        == 404
    )
    response = client.post(
        "/login", data={"email": "x@example.com", "password": "a good long password"}
    )
    assert response.status_code == 302


def test_last_owner_cannot_be_demoted_or_removed(logged_in, org, user):
    membership = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    logged_in.post(f"/settings/members/{membership.id}/role", data={"role": "viewer"})
    db.session.refresh(membership)
    assert membership.role == "owner"
    page = logged_in.get("/settings/members").get_data(as_text=True)
    assert "at least one owner" in page


def test_admin_cannot_promote_to_owner(client, org, login_as):
    admin = factories.make_user("admin@example.com", org=org, role="admin")
    other = factories.make_user("ed@example.com", org=org, role="editor")
    db.session.commit()
    login_as(admin, org=org)
    membership = db.session.scalars(select(Membership).where(Membership.user_id == other.id)).one()
    assert (
        client.post(f"/settings/members/{membership.id}/role", data={"role": "owner"}).status_code
        == 403
    )
    assert (
        client.post(f"/settings/members/{membership.id}/role", data={"role": "viewer"}).status_code
        == 302
    )
    db.session.refresh(membership)
    assert membership.role == "viewer"


def test_editor_cannot_invite(client, org, login_as):
    editor = factories.make_user("ed@example.com", org=org, role="editor")
    db.session.commit()
    login_as(editor, org=org)
    assert (
        client.post(
            "/settings/members/invite", data={"email": "z@example.com", "role": "viewer"}
        ).status_code
        == 403
    )


def test_member_of_two_orgs_switches(client, org, other_org, login_as):
    person = factories.make_user("both@example.com", org=org, role="editor")
    from webapp.services.accounts.organizations import add_member

    add_member(other_org, person, "viewer")
    db.session.commit()
    login_as(person)
    assert "Acme Talent" in client.get("/").get_data(as_text=True).split("<h1>")[1]
    client.post("/switch-org", data={"org_id": str(other_org.id)})
    assert "Globex Hiring" in client.get("/").get_data(as_text=True).split("<h1>")[1]
    stranger = factories.make_org("Stranger Org")
    db.session.commit()
    assert client.post("/switch-org", data={"org_id": str(stranger.id)}).status_code == 404
