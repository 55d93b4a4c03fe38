"""Settings → API keys: create (the key is shown once), list, revoke; and the API reference
page, rendered from the same OpenAPI document the API serves."""

from __future__ import annotations

import re

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import IntegerField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.models import ApiKey
from webapp.services import audit
from webapp.services.accounts.api_keys import create_api_key, revoke
from webapp.settings import bp
from webapp.tenancy import get_or_404, scoped

SCOPE_CHOICES = choices(
    [
        ("send", "send — send messages and bulk sends, cancel and retry them"),
        ("read", "read — read messages, candidates, templates, statistics"),
        ("manage", "manage — change candidates, templates, suppressions, webhooks"),
    ]
)


class ApiKeyForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=200)],
        description="Say which integration uses it, e.g. “Greenhouse sync”.",
    )
    scopes = SelectMultipleField(
        "Scopes",
        choices=SCOPE_CHOICES,
        default=["send", "read"],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(message="Choose at least one scope.")],
    )
    rate_limit_per_minute = IntegerField(
        "Requests per minute (optional)",
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description="Leave empty for the server default.",
    )


def _keys() -> list[ApiKey]:
    statement = scoped(select(ApiKey), g.org).order_by(
        ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc()
    )
    return list(db.session.scalars(statement))


def _page(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    default_limit = current_app.config["HERALD"].api_rate_limit
    html = render_template(
        "settings/api_keys.html",
        form=form,
        keys=_keys(),
        new_key=new_key,
        default_limit=default_limit,
    )
    return html, status


@bp.get("/api-keys")
def api_keys():
    return _page(ApiKeyForm())


@bp.post("/api-keys")
def create_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    key, raw = create_api_key(
        g.org.id, form.name.data.strip(), form.scopes.data, created_by_id=current_user.id
    )
    key.rate_limit_per_minute = form.rate_limit_per_minute.data
    audit.record(
        g.org.id,
        "api_key.create",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="api_key",
        target_id=key.id,
        details={"name": key.name, "scopes": key.scopes, "prefix": key.prefix},
    )
    db.session.commit()
    # Rendered, not redirected: the raw key must never sit in a session cookie or a URL.
    return _page(ApiKeyForm(formdata=None), new_key=raw, status=201)


@bp.post("/api-keys/<uuid:key_id>/revoke")
def revoke_key(key_id):
    key = get_or_404(ApiKey, key_id, g.org)
    if key.revoked_at is None:
        revoke(key)
        audit.record(
            g.org.id,
            "api_key.revoke",
            actor_user_id=current_user.id,
            actor_label=current_user.email,
            target_type="api_key",
            target_id=key.id,
            details={"name": key.name, "prefix": key.prefix},
        )
        db.session.commit()
    flash(
        gettext("API key “%(name)s” revoked. Requests with it now get 401.", name=key.name),
        "success",
    )
    return redirect(url_for("settings.api_keys"))


@bp.get("/api-docs")
def api_docs():
    from webapp.api.openapi import build_document

    document = build_document(current_app.config["HERALD"].public_url)
    intro = inline_code(document["info"]["description"])
    return render_template(
        "api/docs.html", document=document, intro=intro, operations=_by_tag(document)
    )


TAG_ORDER = (
    "Messages", "Templates", "Candidates", "Jobs", "Shortlists", "Campaigns", "Events",
    "Invitations", "Suppressions", "Preferences", "Webhooks", "Statistics",
)  # fmt: skip


def _by_tag(document: dict) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            entry = {"path": path, "method": method.upper(), **operation}
            entry["description"] = inline_code(operation.get("description", ""))
            groups.setdefault(operation["tags"][0], []).append(entry)
    order = {tag: index for index, tag in enumerate(TAG_ORDER)}
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def inline_code(text: str) -> Markup:
    """Escape ``text`` and show its `backticked` parts as code."""
    escaped = str(escape(text))  # escaped first: only the <code> tags below are markup
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S704
