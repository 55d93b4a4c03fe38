"""Settings → Bounces & replies: the return-path and reply switches, Herald's addresses for
this organization (return path, reply, feedback loop), and the IMAP mailbox Herald polls when
no MX can point at it (password encrypted at rest). See docs/bounces.md."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.services import audit
from webapp.services.inbound import addresses, imap
from webapp.services.sending.pipeline import sending_domain
from webapp.settings import bp


class SwitchesForm(FlaskForm):
    return_path = BooleanField("Handle bounces and complaints (VERP return path)")
    replies = BooleanField("Route candidates' replies to the recruiter")


class MailboxForm(FlaskForm):
    host = StringField("IMAP server", validators=[DataRequired(), Length(max=253)])
    port = IntegerField("Port", default=993, validators=[DataRequired(), NumberRange(1, 65535)])
    security = SelectField(
        "Encryption",
        choices=choices([("tls", "TLS (port 993)"), ("starttls", "STARTTLS"), ("none", "None")]),
        default="tls",
    )
    username = StringField("Username", validators=[DataRequired(), Length(max=320)])
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(max=500)],
        description="Stored encrypted. Leave empty to keep the current one.",
    )
    folder = StringField("Folder to read", default="INBOX", validators=[Length(max=200)])
    processed_folder = StringField(
        "Move processed mail to",
        default="Herald/Processed",
        validators=[DataRequired(), Length(max=200)],
        description="Mail is never deleted: once stored it is moved here.",
    )
    is_enabled = BooleanField("Poll this mailbox every minute", default=True)


def _page(switches_form: SwitchesForm, mailbox_form: MailboxForm, status: int = 200):
    settings = current_app.config["HERALD"]
    domain = sending_domain(g.org, settings)
    return render_template(
        "settings/inbound.html",
        switches=addresses.switches(g.org),
        switches_form=switches_form,
        mailbox_form=mailbox_form,
        mailbox=imap.mailbox_of(g.org.id),
        example_bounce=f"bounces+…@{addresses.bounce_domain(domain, settings)}",
        example_reply=f"reply+…@{addresses.reply_domain(domain, settings)}",
        feedback=addresses.feedback_address(g.org.id, domain, settings),
        records=addresses.dns_records(domain, settings, addresses.Switches(True, True)),
    ), status


def _forms() -> tuple[SwitchesForm, MailboxForm]:
    current = addresses.switches(g.org)
    switches_form = SwitchesForm(prefix="s", data=vars(current) if not _posted("s") else None)
    mailbox = imap.mailbox_of(g.org.id)
    mailbox_form = MailboxForm(prefix="m", obj=mailbox if not _posted("m") else None)
    return switches_form, mailbox_form


def _posted(prefix: str) -> bool:
    from flask import request

    return request.method == "POST" and any(k.startswith(f"{prefix}-") for k in request.form)


@bp.get("/inbound")
def inbound():
    return _page(*_forms())


@bp.post("/inbound/switches")
def save_inbound_switches():
    switches_form, mailbox_form = _forms()
    if not switches_form.validate_on_submit():
        return _page(switches_form, mailbox_form, 422)
    addresses.set_switches(
        g.org, return_path=switches_form.return_path.data, replies=switches_form.replies.data
    )
    _audit("inbound.switches", return_path=switches_form.return_path.data)
    db.session.commit()
    flash(gettext("Saved. New messages use the new return path and Reply-To."), "success")
    return redirect(url_for("settings.inbound"))


@bp.post("/inbound/mailbox")
def save_inbound_mailbox():
    switches_form, mailbox_form = _forms()
    if not mailbox_form.validate_on_submit():
        return _page(switches_form, mailbox_form, 422)
    row = imap.save_mailbox(g.org.id, mailbox_form.data)
    _audit("inbound.mailbox", host=row.host)
    db.session.commit()
    flash(gettext("Mailbox saved. Herald polls it every minute."), "success")
    return redirect(url_for("settings.inbound"))


def _audit(action: str, **details) -> None:
    audit.record(
        g.org.id,
        action,
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="organization",
        target_id=g.org.id,
        details=details,
    )
