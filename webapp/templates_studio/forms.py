"""Forms of the template studio."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.formkit import choices
from webapp.i18n.catalogs import N_
from webapp.models.template import CATEGORIES, TEMPLATE_TYPES

TYPE_LABELS = {
    "invitation": N_("Interview invitation"),
    "reminder_24h": N_("Reminder, 24 hours before"),
    "reminder_2h": N_("Reminder, 2 hours before"),
    "reschedule": N_("Reschedule"),
    "cancellation": N_("Cancellation"),
    "confirmation": N_("Answer confirmed (accepted, with the calendar entry)"),
    "acknowledgement": N_("Answer received (declined or asked for another time)"),
    "follow_up": N_("Follow-up / feedback request"),
    "digest": N_("Digest of your updates"),
    "custom": N_("Custom"),
}
CATEGORY_LABELS = {
    "invitations": N_("Invitations"),
    "reminders": N_("Reminders"),
    "updates": N_("Interview updates"),
    "digests": N_("Digests"),
    "marketing": N_("Marketing / news"),
    "transactional": N_("Transactional (cannot be unsubscribed)"),
}


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    type = SelectField(
        "Type",
        choices=choices((t, TYPE_LABELS[t]) for t in TEMPLATE_TYPES),
        description="Messages of this type use this template instead of the system default.",
    )
    category = SelectField(
        "Category",
        choices=choices((c, CATEGORY_LABELS[c]) for c in CATEGORIES),
        description="Recipients choose which categories they receive on their preference page.",
    )
    subject = StringField("Subject", validators=[DataRequired(), Length(max=500)])
    preheader = StringField(
        "Preheader",
        validators=[Optional(), Length(max=300)],
        description="The grey line inboxes show after the subject.",
    )
    body_mjml = TextAreaField("MJML body", validators=[DataRequired(), Length(max=200_000)])
    body_text = TextAreaField(
        "Text version (optional)",
        validators=[Optional(), Length(max=100_000)],
        description="Leave empty to derive the text version from the HTML.",
    )
    note = StringField("Note for this version", validators=[Optional(), Length(max=500)])
