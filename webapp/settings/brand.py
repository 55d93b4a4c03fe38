"""Settings → Brand: logo, colours, font, footer, postal address and sender name, with a live
preview of the default invitation in the brand. Registered on the settings blueprint (admins
change settings; everyone can look)."""

from __future__ import annotations

import dataclasses
import hashlib

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, Length, Optional, Regexp, ValidationError

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.services.rendering import BrandData, render
from webapp.services.rendering.mjml import HEX_COLOUR
from webapp.services.templates import library as studio
from webapp.services.templates.images import is_hosted_url
from webapp.settings import bp

HEX = Regexp(r"^#[0-9a-fA-F]{6}$", message="Use a colour like #2563eb.")
FONTS = [
    ("Helvetica, Arial, sans-serif", "Helvetica / Arial (sans-serif)"),
    ("'Segoe UI', Roboto, Helvetica, Arial, sans-serif", "System UI (sans-serif)"),
    ("Verdana, Geneva, sans-serif", "Verdana (wide sans-serif)"),
    ("Georgia, 'Times New Roman', serif", "Georgia (serif)"),
    ("'Trebuchet MS', Tahoma, sans-serif", "Trebuchet (humanist sans-serif)"),
]


def _https_only(form, field):
    if field.data and not _usable_logo(field.data):
        raise ValidationError(
            gettext("Use an https:// address so the logo shows in every mail client.")
        )


def _usable_logo(url: str) -> bool:
    """An https address, or an image uploaded to Herald (served from its public URL)."""
    return url.startswith("https://") or is_hosted_url(url, current_app.config["HERALD"].public_url)


class BrandForm(FlaskForm):
    logo_url = StringField(
        "Logo URL",
        validators=[Optional(), URL(require_tld=False), _https_only, Length(max=2000)],
        description="Upload an image or give an https:// address; about 320 px wide looks "
        "right. Empty: your name in text.",
    )
    primary_color = StringField("Buttons and links", validators=[HEX])
    text_color = StringField("Text", validators=[HEX])
    background_color = StringField("Background", validators=[HEX])
    font_family = SelectField("Font", choices=choices(FONTS))
    footer_text = TextAreaField("Footer text", validators=[Optional(), Length(max=1000)])
    postal_address = TextAreaField(
        "Postal address",
        validators=[Optional(), Length(max=1000)],
        description="Shown in every footer. Bulk sends need one (CAN-SPAM).",
    )
    sender_name = StringField("Sender name", validators=[Optional(), Length(max=200)])


def _form() -> BrandForm:
    org, brand = g.org, g.org.brand
    form = BrandForm(obj=brand) if brand is not None else BrandForm()
    if not form.is_submitted():
        form.postal_address.data = org.postal_address
        form.sender_name.data = org.sender_name
        if brand is None:
            defaults = BrandData()
            for name in ("primary_color", "text_color", "background_color", "font_family"):
                getattr(form, name).data = getattr(defaults, name)
    return form


@bp.route("/brand", methods=["GET", "POST"])
def brand():
    form = _form()
    if form.validate_on_submit():
        studio.update_brand(
            g.org, form.data, user_id=current_user.id, actor_label=current_user.email
        )
        db.session.commit()
        flash(gettext("Brand saved. Every template uses it from now on."), "success")
        return redirect(url_for("settings.brand"))
    status = 422 if form.is_submitted() else 200
    return render_template("settings/brand.html", form=form), status


@bp.get("/brand/preview")
def brand_preview():
    """The default invitation in the brand being edited (nothing is saved, so a GET that every
    member may use; the settings guard keeps POSTs for admins)."""
    brand = _preview_brand(request.args)
    context, _ = studio.preview_context(g.org)
    context["sender_name"] = brand.sender_name
    result = render(studio.system_default("invitation").source, brand, context)
    return render_template("templates_studio/_preview.html", result=result, sample_problem="")


def _preview_brand(form) -> BrandData:
    saved = BrandData.from_org(g.org)
    logo = form.get("logo_url", "").strip()
    brand = BrandData(
        org_name=g.org.name,
        logo_url=logo if _usable_logo(logo) else "",
        primary_color=_colour(form.get("primary_color"), saved.primary_color),
        text_color=_colour(form.get("text_color"), saved.text_color),
        background_color=_colour(form.get("background_color"), saved.background_color),
        font_family=form.get("font_family") or saved.font_family,
        footer_text=form.get("footer_text", "")[:1000],
        postal_address=form.get("postal_address", "")[:1000],
        sender_name=form.get("sender_name") or g.org.name,
    )
    digest = hashlib.blake2b(repr(brand).encode("utf-8"), digest_size=12).hexdigest()
    return dataclasses.replace(brand, revision=f"preview:{digest}")


def _colour(value: str | None, fallback: str) -> str:
    return value if value and HEX_COLOUR.match(value) else fallback
