"""Settings → Sending domains: DNS records to publish, DKIM keys, DNS check, and the
deliverability guardrail (P8): current rates, and a resume button when bulk mail is paused."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import SendingDomain
from webapp.services import audit
from webapp.services.inbound import addresses
from webapp.services.sending import domains as domain_service
from webapp.services.sending import guardrails
from webapp.settings import bp
from webapp.tenancy import get_or_404, scoped


def _audit(action: str, row: SendingDomain | None = None, **details) -> None:
    audit.record(
        g.org.id,
        action,
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="sending_domain" if row else "organization",
        target_id=row.id if row else g.org.id,
        details=details,
    )


def _render(error: str = "", typed: str = "", status: int = 200):
    rows = db.session.scalars(
        scoped(select(SendingDomain), g.org).order_by(SendingDomain.domain)
    ).all()
    return render_template(
        "settings/domains.html",
        rows=[(row, domain_service.records(row, addresses.switches(g.org))) for row in rows],
        health=guardrails.sending_health(g.org.id),
        error=error,
        typed=typed,
    ), status


@bp.get("/domains")
def domains():
    return _render()


@bp.post("/domains/add")
def add_domain():
    typed = request.form.get("domain", "").strip()
    if not domain_service.valid_domain(typed):
        return _render(gettext("Enter a domain name such as mail.example.com."), typed, 422)
    row = domain_service.add_domain(g.org.id, typed)
    _audit("domain.add", row, domain=row.domain)
    db.session.commit()
    flash(
        gettext(
            "%(domain)s added with a new DKIM key. Publish the records below.", domain=row.domain
        ),
        "success",
    )
    return redirect(url_for("settings.domains") + f"#d-{row.id}")


@bp.post("/domains/<uuid:domain_id>/dkim")
def rotate_dkim(domain_id):
    row = get_or_404(SendingDomain, domain_id, g.org)
    domain_service.generate_dkim(row)
    _audit("domain.dkim_rotate", row, domain=row.domain)
    db.session.commit()
    flash(
        gettext("New DKIM key generated. Publish the new DKIM record now: mail is signed with it."),
        "warning",
    )
    return redirect(url_for("settings.domains") + f"#d-{row.id}")


@bp.post("/domains/<uuid:domain_id>/check")
def check_domain(domain_id):
    row = get_or_404(SendingDomain, domain_id, g.org)
    results = domain_service.check(row, inbound=addresses.switches(g.org))
    db.session.commit()
    if any(r["status"] == "unchecked" for r in results.values()):
        flash(
            gettext("DNS could not be reached from this server, so the records were not checked."),
            "warning",
        )
    return redirect(url_for("settings.domains") + f"#d-{row.id}")


@bp.post("/domains/<uuid:domain_id>/delete")
def delete_domain(domain_id):
    row = get_or_404(SendingDomain, domain_id, g.org)
    _audit("domain.delete", row, domain=row.domain)
    db.session.delete(row)
    db.session.commit()
    flash(gettext("Domain removed. Mail is no longer DKIM-signed for it."), "success")
    return redirect(url_for("settings.domains"))


@bp.post("/sending/resume")
def resume_sending():
    guardrails.resume(g.org, actor_user_id=current_user.id, actor_label=current_user.email)
    db.session.commit()
    flash(gettext("Bulk sending resumed. Rates are counted afresh from now."), "success")
    return redirect(url_for("settings.domains"))
