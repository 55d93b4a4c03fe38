"""Settings → Automations: rules mapping an event type to a template and a delay."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import EmailTemplate, TriggerRule
from webapp.services import audit
from webapp.services.campaigns.drafts import org_templates
from webapp.services.notify import triggers as trigger_service
from webapp.settings import bp
from webapp.tenancy import get_or_404


def _render(errors: dict | None = None, form=None, status: int = 200):
    return render_template(
        "campaigns/settings_triggers.html",
        rules=trigger_service.rules(g.org.id),
        templates=org_templates(g.org.id),
        builtin=trigger_service.BUILTIN_EVENTS,
        delay_modes=trigger_service.DELAY_MODES,
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/automations")
def triggers():
    return _render()


@bp.post("/automations")
def create_trigger():
    form = request.form
    event_type = form.get("custom_event", "").strip() or form.get("event_type", "")
    template = (
        get_or_404(EmailTemplate, form.get("template_id"), g.org)
        if form.get("template_id")
        else None
    )
    try:
        hours = float(form.get("delay_hours") or 0)
    except ValueError:
        return _render({"delay_hours": gettext("Give the delay as a number of hours.")}, form, 422)
    if template is None:
        return _render({"template_id": gettext("Choose the template to send.")}, form, 422)
    try:
        rule = trigger_service.save_rule(
            g.org.id,
            event_type=event_type,
            template_id=template.id,
            delay_mode=form.get("delay_mode", "now"),
            delay_hours=hours,
            time_field=form.get("time_field", ""),
        )
    except trigger_service.TriggerError as exc:
        return _render({"rule": str(exc)}, form, 422)
    audit.record(
        g.org.id,
        "trigger.create",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="trigger_rule",
        target_id=rule.id,
        details={"event_type": rule.event_type},
    )
    db.session.commit()
    flash(gettext("Automation saved."), "success")
    return redirect(url_for("settings.triggers"))


@bp.post("/automations/<uuid:rule_id>/toggle")
def toggle_trigger(rule_id):
    rule = get_or_404(TriggerRule, rule_id, g.org)
    rule.is_enabled = not rule.is_enabled
    db.session.commit()
    flash(
        gettext("Automation enabled.") if rule.is_enabled else gettext("Automation paused."),
        "success",
    )
    return redirect(url_for("settings.triggers"))


@bp.post("/automations/<uuid:rule_id>/delete")
def delete_trigger(rule_id):
    rule = get_or_404(TriggerRule, rule_id, g.org)
    audit.record(
        g.org.id,
        "trigger.delete",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="trigger_rule",
        target_id=rule.id,
    )
    db.session.delete(rule)
    db.session.commit()
    flash(gettext("Automation deleted."), "success")
    return redirect(url_for("settings.triggers"))
