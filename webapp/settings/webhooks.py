"""Settings → Webhooks: endpoints with event filters, the delivery log, replay, re-enable."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.models import WebhookDelivery, WebhookEndpoint
from webapp.services import audit, egress
from webapp.services.notify import webhooks as outgoing_webhooks
from webapp.settings import bp
from webapp.tenancy import get_or_404, scoped


def _http_url(form, field):
    allow_private = current_app.config["HERALD"].webhook_allow_private
    problem = egress.registration_problem((field.data or "").strip(), allow_private=allow_private)
    if problem:
        raise ValidationError(gettext("This address %(problem)s.", problem=problem))


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[DataRequired(), Length(max=2000), _http_url])
    description = StringField("Description", validators=[Length(max=300)])
    event_types = SelectMultipleField(
        "Events",
        choices=choices(outgoing_webhooks.OUTGOING_EVENT_TYPES),
        description="Leave empty to receive every event.",
    )


def _audit(action: str, endpoint: WebhookEndpoint, **details) -> None:
    audit.record(
        g.org.id,
        action,
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        details=details,
    )


def _render(form: EndpointForm, status: int = 200, revealed=None):
    endpoints = db.session.scalars(
        scoped(select(WebhookEndpoint), g.org).order_by(WebhookEndpoint.created_at)
    ).all()
    status_filter = request.args.get("status", "")
    deliveries = outgoing_webhooks.recent_deliveries(g.org.id, status=status_filter)
    return render_template(
        "settings/webhooks.html",
        form=form,
        endpoints=endpoints,
        deliveries=deliveries,
        status_filter=status_filter,
        revealed=revealed or {},
    ), status


@bp.get("/webhooks")
def webhooks():
    return _render(EndpointForm())


@bp.post("/webhooks")
def create_webhook():
    form = EndpointForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    endpoint = outgoing_webhooks.create_endpoint(
        g.org.id,
        url=form.url.data,
        description=form.description.data or "",
        event_types=form.event_types.data or [],
    )
    _audit("webhook.create", endpoint, url=endpoint.url)
    db.session.commit()
    flash(gettext("Endpoint added. Copy its signing secret below into your receiver."), "success")
    return _render(EndpointForm(formdata=None), revealed={endpoint.id: _secret(endpoint)})


def _secret(endpoint: WebhookEndpoint) -> str:
    return outgoing_webhooks.endpoint_secret(endpoint)


@bp.post("/webhooks/<uuid:endpoint_id>/secret")
def reveal_webhook_secret(endpoint_id):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, g.org)
    _audit("webhook.reveal_secret", endpoint)
    db.session.commit()
    return _render(EndpointForm(formdata=None), revealed={endpoint.id: _secret(endpoint)})


@bp.post("/webhooks/<uuid:endpoint_id>/enable")
def enable_webhook(endpoint_id):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, g.org)
    outgoing_webhooks.enable_endpoint(endpoint)
    _audit("webhook.enable", endpoint)
    db.session.commit()
    flash(gettext("Endpoint enabled. New events will be posted to it again."), "success")
    return redirect(url_for("settings.webhooks"))


@bp.post("/webhooks/<uuid:endpoint_id>/delete")
def delete_webhook(endpoint_id):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, g.org)
    _audit("webhook.delete", endpoint, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.commit()
    flash(gettext("Endpoint removed."), "success")
    return redirect(url_for("settings.webhooks"))


@bp.post("/webhooks/deliveries/<uuid:delivery_id>/replay")
def replay_webhook(delivery_id):
    delivery = get_or_404(WebhookDelivery, delivery_id, g.org)
    endpoint = get_or_404(WebhookEndpoint, delivery.endpoint_id, g.org)
    if not endpoint.is_enabled:
        flash(gettext("Enable the endpoint before replaying its deliveries."), "error")
        return redirect(url_for("settings.webhooks"))
    outgoing_webhooks.replay(delivery)
    _audit("webhook.replay", endpoint, event_id=delivery.event_id)
    db.session.commit()
    flash(
        gettext("%(event)s will be posted again in a moment.", event=delivery.event_type), "success"
    )
    return redirect(url_for("settings.webhooks"))
