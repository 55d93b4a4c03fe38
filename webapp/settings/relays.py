"""Settings → SMTP relays: the servers this organization sends through, in priority order,
with provider presets, credentials kept encrypted (or read from the environment), a per-relay
rate, a connection test and the circuit breaker's state."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, FloatField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.models import Relay
from webapp.redis_client import get_redis
from webapp.services import audit
from webapp.services.sending import relay_admin
from webapp.services.sending.relays import PRESETS
from webapp.settings import bp
from webapp.tenancy import get_or_404, scoped

PRESET_CHOICES = choices((key, preset.label) for key, preset in PRESETS.items())
SECURITY_CHOICES = choices(
    [
        ("starttls", "STARTTLS (port 587)"),
        ("tls", "TLS from the start (port 465)"),
        ("none", "None"),
    ]
)


class RelayForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    preset = SelectField(
        "Provider",
        choices=PRESET_CHOICES,
        default="custom",
        description="Fills in the host and adds the header the provider's webhooks send back.",
    )
    host = StringField("Host", validators=[Length(max=253)], description="Empty: the provider's.")
    port = IntegerField("Port", default=587, validators=[DataRequired(), NumberRange(1, 65535)])
    security = SelectField("Encryption", choices=SECURITY_CHOICES, default="starttls")
    username = StringField("Username", validators=[Optional(), Length(max=320)])
    password = PasswordField(
        "Password or API key",
        validators=[Optional(), Length(max=500)],
        description="Stored encrypted. Leave empty to keep the current one.",
    )
    password_env = StringField(
        "…or read the password from this environment variable",
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[A-Z_][A-Z0-9_]*$", message="Use A-Z, 0-9 and _."),
        ],
    )
    rate_per_second = FloatField(
        "Emails per second (optional)", validators=[Optional(), NumberRange(min=0.1, max=100000)]
    )
    priority = IntegerField(
        "Priority",
        default=100,
        validators=[DataRequired(), NumberRange(0, 10000)],
        description="Lower goes first; the next relay takes over when one fails.",
    )
    is_enabled = BooleanField("Enabled", default=True)

    def validate_host(self, field) -> None:
        if not (field.data or "").strip() and self.preset.data == "custom":
            raise ValidationError(
                gettext("Enter the SMTP server's host name, or choose a provider.")
            )


def _relays() -> list[Relay]:
    return list(
        db.session.scalars(scoped(select(Relay), g.org).order_by(Relay.priority, Relay.name))
    )


def _audit(action: str, relay: Relay) -> None:
    audit.record(
        g.org.id,
        action,
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="relay",
        target_id=relay.id,
        details={"name": relay.name, "host": relay.host},
    )


def _page(form: RelayForm, editing: Relay | None = None, status: int = 200):
    relays = _relays()
    states = relay_admin.circuit_states(get_redis(), relays)
    settings = current_app.config["HERALD"]
    return (
        render_template(
            "settings/relays.html",
            form=form,
            relays=relays,
            states=states,
            editing=editing,
            presets=PRESETS,
            default_relay=f"{settings.smtp_host}:{settings.smtp_port}",
        ),
        status,
    )


@bp.route("/relays", methods=["GET", "POST"])
def relays():
    form = RelayForm()
    if form.validate_on_submit():
        relay = relay_admin.save_relay(g.org.id, form.data)
        _audit("relay.create", relay)
        db.session.commit()
        flash(gettext("Relay “%(name)s” added.", name=relay.name), "success")
        return redirect(url_for("settings.relays"))
    return _page(form, status=422 if form.errors else 200)


@bp.route("/relays/<uuid:relay_id>/edit", methods=["GET", "POST"])
def edit_relay(relay_id):
    relay = get_or_404(Relay, relay_id, g.org)
    form = RelayForm(obj=relay)
    if form.validate_on_submit():
        relay_admin.save_relay(g.org.id, form.data, relay)
        _audit("relay.update", relay)
        db.session.commit()
        flash(gettext("Relay “%(name)s” saved.", name=relay.name), "success")
        return redirect(url_for("settings.relays"))
    return _page(form, editing=relay, status=422 if form.errors else 200)


@bp.post("/relays/<uuid:relay_id>/delete")
def delete_relay(relay_id):
    relay = get_or_404(Relay, relay_id, g.org)
    _audit("relay.delete", relay)
    relay_admin.delete_relay(relay)
    db.session.commit()
    flash(gettext("Relay “%(name)s” removed.", name=relay.name), "success")
    return redirect(url_for("settings.relays"))


@bp.post("/relays/<uuid:relay_id>/test")
def test_relay(relay_id):
    relay = get_or_404(Relay, relay_id, g.org)
    result = relay_admin.test_relay(relay, current_app.config["HERALD"])
    flash(f"{relay.name}: {result.detail}", "success" if result.ok else "error")
    return redirect(url_for("settings.relays"))
