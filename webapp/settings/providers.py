"""Settings → Provider events: keys for verifying each ESP's webhooks, the URL to give the
provider, and a log of recent calls with their verdict."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import ProviderConfig, ProviderWebhookLog
from webapp.services import audit
from webapp.services.links import public_url
from webapp.services.provider_events import providers as provider_modules
from webapp.services.provider_events.intake import config_settings, save_config
from webapp.settings import bp
from webapp.tenancy import scoped


def _view_model() -> list[dict]:
    configs = {
        c.provider: c for c in db.session.scalars(scoped(select(ProviderConfig), g.org)).all()
    }
    rows = []
    for name, module in provider_modules().items():
        config = configs.get(name)
        saved = config_settings(config) if config else {}
        rows.append(
            {
                "name": name,
                "label": module.LABEL,
                "config": config,
                "url": public_url(f"/webhooks/{name}/{config.endpoint_key}") if config else "",
                "fields": [
                    {
                        "key": key,
                        "label": label,
                        "secret": secret,
                        "value": "" if secret else saved.get(key, ""),
                        "is_set": bool(saved.get(key)),
                    }
                    for key, label, secret in module.FIELDS
                ],
            }
        )
    return rows


@bp.get("/providers")
def providers():
    logs = db.session.scalars(
        scoped(select(ProviderWebhookLog), g.org)
        .order_by(ProviderWebhookLog.created_at.desc())
        .limit(50)
    ).all()
    return render_template("settings/providers.html", providers=_view_model(), logs=logs)


@bp.post("/providers/<provider>")
def save_provider(provider: str):
    module = provider_modules().get(provider)
    if module is None:
        abort(404)
    config = db.session.scalars(
        scoped(select(ProviderConfig), g.org).where(ProviderConfig.provider == provider)
    ).first()
    values = config_settings(config) if config else {}
    for key, _label, secret in module.FIELDS:
        submitted = request.form.get(key, "").strip()
        if submitted or not secret:  # an empty secret field keeps the saved secret
            values[key] = submitted
    config = save_config(g.org.id, provider, values)
    audit.record(
        g.org.id,
        "provider.configure",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="provider_config",
        target_id=config.id,
        details={"provider": provider},
    )
    db.session.commit()
    flash(
        gettext(
            "%(provider)s settings saved. Give the provider the webhook URL shown.",
            provider=module.LABEL,
        ),
        "success",
    )
    return redirect(url_for("settings.providers") + f"#{provider}")
