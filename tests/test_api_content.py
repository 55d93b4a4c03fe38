"""/api/v1 templates (versions, validation, preview) and statistics."""

from __future__ import annotations

from datetime import timedelta

from tests import test_api_helpers as helpers
from webapp.extensions import db
from webapp.models import AuditLog, StatRollup, TemplateVersion, utcnow
from webapp.services.stats.metrics import NIL

api = helpers.api  # fixture
other_api = helpers.other_api  # fixture

BODY = (
    "<mj-section><mj-column><mj-text>Hi {{ candidate.first_name }}</mj-text>"
    "</mj-column></mj-section>"
)
TEMPLATE = {"name": "Welcome", "type": "follow_up", "category": "updates", "subject": "Hi",
            "body_mjml": BODY}  # fmt: skip


def test_create_update_creates_versions(api, org):
    created = api.post("/templates", json=TEMPLATE)
    assert created.status_code == 201, created.json
    assert created.json["current_version"]["number"] == 1
    template_id = created.json["id"]
    updated = api.put(f"/templates/{template_id}", json={"subject": "Hello again"})
    assert updated.status_code == 200, updated.json
    assert updated.json["current_version"]["number"] == 2
    assert updated.json["current_version"]["body_mjml"] == BODY  # kept
    assert len(db.session.scalars(db.select(TemplateVersion)).all()) == 2
    actions = [entry.action for entry in db.session.scalars(db.select(AuditLog))]
    assert {"template.create", "template.update"} <= set(actions)
    assert api.get(f"/templates/{template_id}").json["current_version"]["subject"] == "Hello again"
    listed = api.get("/templates?type=follow_up").json["data"]
    assert [t["id"] for t in listed] == [template_id]


def test_invalid_template_reports_the_problem(api):
    broken = api.post("/templates", json={**TEMPLATE, "body_mjml": "<mj-text>{% if %}</mj-text>"})
    assert broken.status_code == 422
    assert broken.json["errors"] and broken.json["errors"][0]["message"]
    include = api.post(
        "/templates", json={**TEMPLATE, "body_mjml": '<mj-include path="/etc/passwd" />'}
    )
    assert include.status_code == 422
    missing = api.post("/templates", json={"name": "x"})
    assert {e["field"] for e in missing.json["errors"]} >= {"subject", "body_mjml"}


def test_preview_renders_with_the_context(api, other_api):
    template_id = api.post("/templates", json=TEMPLATE).json["id"]
    response = api.post(
        f"/templates/{template_id}/preview", json={"context": {"candidate": {"first_name": "Zoë"}}}
    )
    assert response.status_code == 200, response.json
    assert "Zoë" in response.json["html"] and response.json["errors"] == []
    escaped = api.post(
        f"/templates/{template_id}/preview",
        json={"context": {"candidate": {"first_name": "<mj-raw><script>x</script></mj-raw>"}}},
    )
    assert "<script>x</script>" not in escaped.json["html"]
    assert other_api.post(f"/templates/{template_id}/preview", json={}).status_code == 404
    assert other_api.get(f"/templates/{template_id}").status_code == 404


def test_template_writes_need_manage(client, org):
    reader = helpers.Api(client, helpers.make_key(org, scopes=["read", "send"]))
    assert reader.post("/templates", json=TEMPLATE).status_code == 403


def _rollup(org, metric, count, hours_ago=1):
    hour = (utcnow() - timedelta(hours=hours_ago)).replace(minute=0, second=0, microsecond=0)
    db.session.add(StatRollup(org_id=org.id, hour=hour, campaign_id=NIL,
                              template_version_id=NIL, metric=metric, count=count))  # fmt: skip


def test_funnel_and_time_series(api, other_api, org):
    _rollup(org, "sent", 10)
    _rollup(org, "delivered", 9)
    _rollup(org, "opened_unique_human", 4)
    _rollup(org, "bounced_hard", 1)
    db.session.commit()
    funnel = api.get("/stats/funnel").json
    steps = {step["key"]: step for step in funnel["steps"]}
    assert steps["sent"]["total"] == 10 and steps["opened"]["human"] == 4
    assert funnel["problems"]["bounced_hard"] == 1
    assert other_api.get("/stats/funnel").json["steps"][0]["total"] == 0
    series = api.get("/stats/timeseries").json
    assert sum(series["series"]["sent"]) == 10
    assert len(series["labels"]) == len(series["series"]["sent"])
    bad = api.get("/stats/funnel?start=2026-02-30&end=2026-03-01")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "start"


def test_template_update_and_range_validation(api):
    template_id = api.post("/templates", json=TEMPLATE).json["id"]
    bad = api.put(f"/templates/{template_id}", json={"body_mjml": "{% for %}"})
    assert bad.status_code == 422
    assert api.get(f"/templates/{template_id}").json["current_version"]["number"] == 1
    reversed_range = api.get("/stats/timeseries?start=2030-02-01&end=2030-01-01")
    assert reversed_range.status_code == 422
