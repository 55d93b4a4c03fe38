"""The invitation wizard over HTTP: every step, the review counts and lists, C7 refusals."""

from __future__ import annotations

from sqlalchemy import select

from tests.support import factories
from tests.test_campaign_fanout import make_template
from webapp.extensions import db
from webapp.models import AuditLog, Campaign, Preference, Suppression


def setup_shortlist(org):
    people = [
        factories.make_candidate(org, "ada@example.com", first_name="Ada", timezone="Europe/Paris"),
        factories.make_candidate(org, "bob@example.com", first_name="Bob"),
        factories.make_candidate(org, "cy@example.com", first_name="Cy"),
        factories.make_candidate(org, "nameless@example.com", first_name=""),
    ]
    shortlist = factories.make_shortlist(org, candidates=people)
    db.session.add(Suppression(org_id=org.id, email="bob@example.com", reason="unsubscribed"))
    db.session.add(
        Preference(
            org_id=org.id,
            email="cy@example.com",
            opted_out_categories=["invitations"],
            digest_categories=[],
        )
    )
    template = make_template(org)
    db.session.commit()
    return shortlist, template


def walk_to_review(client, shortlist, template, **schedule):
    response = client.post(
        "/campaigns/new",
        data={"job": str(shortlist.job_id), "shortlist_id": str(shortlist.id), "name": "Round 1"},
    )
    assert response.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    base = f"/campaigns/{campaign.id}"
    page = client.get(f"{base}/audience").get_data(as_text=True)
    assert page.count('name="candidate_id"') == 4
    ids = [str(e.candidate_id) for e in shortlist.entries]
    response = client.post(f"{base}/audience", data={"action": "next", "candidate_id": ids})
    assert response.status_code == 303 and response.headers["Location"].endswith("/template")
    response = client.post(f"{base}/template", data={"template_id": str(template.id)})
    assert response.headers["Location"].endswith("/schedule")
    data = {"mode": "now", **schedule}
    response = client.post(f"{base}/schedule", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return campaign, base


def test_wizard_review_counts_and_confirm(logged_in, org):
    shortlist, template = setup_shortlist(org)
    campaign, base = walk_to_review(logged_in, shortlist, template)
    page = logged_in.get(f"{base}/review").get_data(as_text=True)
    assert 'data-count="will_send">1<' in page  # Ada
    assert 'data-count="suppressed">1<' in page and "bob@example.com" in page
    assert 'data-count="opted_out">1<' in page and "cy@example.com" in page
    assert 'data-count="missing_data">1<' in page and "nameless@example.com" in page
    response = logged_in.post(f"{base}/confirm", data={"skip_missing": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(str(campaign.id))
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status == "scheduled" and len(campaign.candidate_ids) == 3
    assert db.session.scalars(select(AuditLog.action)).all() == ["campaign.send"]
    assert logged_in.get(f"{base}/review").status_code == 302  # no going back once confirmed


def test_preview_renders_for_the_chosen_recipient(logged_in, org):
    shortlist, template = setup_shortlist(org)
    _campaign, base = walk_to_review(logged_in, shortlist, template)
    ada = next(e.candidate_id for e in shortlist.entries if e.candidate.first_name == "Ada")
    page = logged_in.get(
        f"{base}/preview?template_id={template.id}&candidate_id={ada}",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "Hi Ada" in page and 'sandbox=""' in page and "Backend Engineer" in page


def test_refused_without_postal_address_and_why_is_shown(logged_in, org):
    shortlist, template = setup_shortlist(org)
    campaign, base = walk_to_review(logged_in, shortlist, template)
    org.postal_address = ""
    db.session.commit()
    page = logged_in.get(f"{base}/review").get_data(as_text=True)
    assert "has no postal address" in page and "disabled" in page
    response = logged_in.post(f"{base}/confirm")
    assert response.status_code == 422
    assert db.session.get(Campaign, campaign.id).status == "draft"


def test_template_without_unsubscribe_link_is_refused(logged_in, org):
    shortlist, _ = setup_shortlist(org)
    bare = make_template(
        org,
        body="<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column>"
        "</mj-section></mj-body></mjml>",
    )
    _campaign, base = walk_to_review(logged_in, shortlist, bare)
    page = logged_in.get(f"{base}/review").get_data(as_text=True)
    assert "no unsubscribe link" in page


def test_schedule_errors_are_shown_next_to_the_field_and_input_kept(logged_in, org):
    shortlist, template = setup_shortlist(org)
    _campaign, base = walk_to_review(logged_in, shortlist, template)
    response = logged_in.post(
        f"{base}/schedule",
        data={
            "mode": "at",
            "send_at": "2001-01-01T09:00",
            "window": "1",
            "start": "18:00",
            "end": "08:00",
            "days": ["0"],
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pick a date and time in the future." in page and 'value="2001-01-01T09:00"' in page
    assert "The window must end after it starts." in page


def test_htmx_steps_swap_the_panel_and_push_the_url(logged_in, org):
    shortlist, template = setup_shortlist(org)
    _campaign, base = walk_to_review(logged_in, shortlist, template)
    response = logged_in.get(f"{base}/schedule", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="wizard"') and "<html" not in page
    assert response.headers["HX-Push-Url"] == f"{base}/schedule"


def test_large_send_needs_the_count_typed(logged_in, org):
    shortlist, template = setup_shortlist(org)
    campaign, base = walk_to_review(logged_in, shortlist, template)
    campaign = db.session.get(Campaign, campaign.id)
    campaign.candidate_ids = [str(e.candidate_id) for e in shortlist.entries] * 300  # 1,200
    db.session.commit()
    response = logged_in.post(f"{base}/confirm", data={"typed_count": "12"})
    assert response.status_code == 422
    assert "Type the number of recipients (1200)" in response.get_data(as_text=True)
    response = logged_in.post(f"{base}/confirm", data={"typed_count": "1200"})
    assert response.status_code == 303


def test_org_without_templates_can_start_from_the_default_invitation(logged_in, org):
    people = [factories.make_candidate(org, "ada@example.com", first_name="Ada")]
    shortlist = factories.make_shortlist(org, candidates=people)
    db.session.commit()
    logged_in.post(
        "/campaigns/new", data={"job": str(shortlist.job_id), "shortlist_id": str(shortlist.id)}
    )
    campaign = db.session.scalars(select(Campaign)).one()
    page = logged_in.get(f"/campaigns/{campaign.id}/template").get_data(as_text=True)
    assert "Your organization has no template yet" in page
    response = logged_in.post(
        f"/campaigns/{campaign.id}/template", data={"use_default": "invitation"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.template_version_id is not None and campaign.category == "invitations"
    page = logged_in.get(f"/campaigns/{campaign.id}/template").get_data(as_text=True)
    assert "Interview invitation" in page and "Use the default invitation" not in page


def test_already_invited_candidates_are_excluded_unless_asked(logged_in, org):
    shortlist, template = setup_shortlist(org)
    _campaign, base = walk_to_review(logged_in, shortlist, template)
    logged_in.post(f"{base}/confirm", data={"skip_missing": "1"})  # Ada, Bob and Cy
    logged_in.post(
        "/campaigns/new",
        data={"job": str(shortlist.job_id), "shortlist_id": str(shortlist.id), "name": "Round 2"},
    )
    second = db.session.scalars(select(Campaign).where(Campaign.name == "Round 2")).one()
    page = logged_in.get(f"/campaigns/{second.id}/audience").get_data(as_text=True)
    assert page.count('name="candidate_id"') == 1 and "nameless@example.com" in page
    page = logged_in.get(f"/campaigns/{second.id}/audience?exclude_invited=0").get_data(
        as_text=True
    )
    assert page.count('name="candidate_id"') == 4 and "(invited before)" in page


def test_review_warns_when_bulk_sending_is_paused(logged_in, org):
    from webapp.models import utcnow

    shortlist, template = setup_shortlist(org)
    _campaign, base = walk_to_review(logged_in, shortlist, template)
    org.bulk_paused_at, org.bulk_paused_reason = utcnow(), "complaint rate 0.4 %"
    db.session.commit()
    page = logged_in.get(f"{base}/review").get_data(as_text=True)
    assert "Bulk sending is paused for your organization (complaint rate 0.4 %)" in page
    assert "Cannot send" not in page  # a warning, not a refusal
