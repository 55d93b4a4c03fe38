"""One object of every kind in an organization, by the URL argument name that addresses it."""

from __future__ import annotations

from datetime import timedelta

from tests.support import factories
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    AttachmentFile,
    AuditLog,
    Campaign,
    DeliveryAttempt,
    EmailTemplate,
    ImportRun,
    InboundMail,
    Message,
    MessageEvent,
    ProviderConfig,
    Relay,
    SendingDomain,
    Suppression,
    TemplateAttachment,
    TemplateVersion,
    TriggerRule,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from webapp.services.accounts.organizations import membership_for


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def foreign_objects(org) -> dict[str, str]:
    owner = factories.make_user(org=org, role="owner")
    candidate = factories.make_candidate(org)
    job = factories.make_job(org)
    shortlist = factories.make_shortlist(org, job, [candidate])
    entry = shortlist.entries[0]
    template = _add(EmailTemplate(org_id=org.id, name="Theirs", type="invitation"))
    version = _add(
        TemplateVersion(
            org_id=org.id,
            template_id=template.id,
            number=1,
            subject="Hi",
            body_mjml="<mjml><mj-body></mj-body></mjml>",
        )
    )
    template.current_version_id = version.id
    stored = _add(AttachmentFile(org_id=org.id, sha256=org.id.hex * 2, size=5, data=b"%PDF-"))
    attachment = _add(
        TemplateAttachment(
            org_id=org.id,
            template_version_id=version.id,
            filename="theirs.pdf",
            content_type="application/pdf",
            size=5,
            file_id=stored.id,
        )
    )
    campaign = _add(
        Campaign(
            org_id=org.id,
            name="Theirs",
            job_id=job.id,
            shortlist_id=shortlist.id,
            template_id=template.id,
        )
    )
    now = utcnow()
    message = _add(
        Message(
            org_id=org.id,
            to_email="them@example.com",
            send_after=now,
            status="failed",
            campaign_id=campaign.id,
            candidate_id=candidate.id,
        )
    )
    attempt = _add(
        DeliveryAttempt(org_id=org.id, message_id=message.id, attempted_at=now, outcome="failed")
    )
    event = _add(
        MessageEvent(
            org_id=org.id,
            message_id=message.id,
            type="opened",
            occurred_at=now,
            event_key=f"iso-{message.id}",
        )
    )
    endpoint = _add(
        WebhookEndpoint(org_id=org.id, url="https://hooks.example.com/x", secret_encrypted="x")
    )
    delivery = _add(
        WebhookDelivery(
            org_id=org.id,
            endpoint_id=endpoint.id,
            event_id="e1",
            event_type="message.sent",
            next_attempt_at=now + timedelta(hours=1),
        )
    )
    key = _add(ApiKey(org_id=org.id, name="theirs", prefix="hrld_x", key_hash=f"h-{org.id}"))
    relay = _add(Relay(org_id=org.id, name="theirs", host="smtp.example.com"))
    domain = _add(SendingDomain(org_id=org.id, domain="them.example.com"))
    provider = _add(
        ProviderConfig(org_id=org.id, provider="postmark", endpoint_key=f"k{org.id.hex[:10]}")
    )
    suppression = _add(Suppression(org_id=org.id, email="gone@example.com", reason="manual"))
    run = _add(ImportRun(org_id=org.id, filename="x.csv"))
    rule = _add(
        TriggerRule(org_id=org.id, event_type="application.received", template_id=template.id)
    )
    audit = _add(AuditLog(org_id=org.id, action="template.update"))
    inbound = _add(
        InboundMail(org_id=org.id, message_id=message.id, raw=b"Subject: hi\r\n\r\nx", kind="reply")
    )
    membership = membership_for(owner.id, org.id)
    ids = {
        "candidate_id": candidate.id,
        "job_id": job.id,
        "shortlist_id": shortlist.id,
        "entry_id": entry.id,
        "template_id": template.id,
        "version_id": version.id,
        "attachment_id": attachment.id,
        "other_version_id": version.id,
        "campaign_id": campaign.id,
        "message_id": message.id,
        "attempt_id": attempt.id,
        "event_id": event.id,
        "endpoint_id": endpoint.id,
        "webhook_id": endpoint.id,
        "delivery_id": delivery.id,
        "key_id": key.id,
        "api_key_id": key.id,
        "relay_id": relay.id,
        "domain_id": domain.id,
        "provider_id": provider.id,
        "config_id": provider.id,
        "suppression_id": suppression.id,
        "import_id": run.id,
        "run_id": run.id,
        "rule_id": rule.id,
        "trigger_id": rule.id,
        "audit_id": audit.id,
        "inbound_id": inbound.id,
        "membership_id": membership.id,
        "user_id": owner.id,
    }
    return {name: str(value) for name, value in ids.items()}
