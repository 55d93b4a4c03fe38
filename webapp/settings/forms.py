from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from webapp.formkit import choices

ROLE_PAIRS = [
    ("viewer", "Viewer — sees everything, changes nothing"),
    ("editor", "Editor — templates, candidates, sends"),
    ("admin", "Admin — also settings and members"),
    ("owner", "Owner — everything, including owners"),
]
ROLE_CHOICES = choices(ROLE_PAIRS)


def timezone_choices():
    return choices(zone for zone in sorted(available_timezones()) if "/" in zone or zone == "UTC")


class OrganizationForm(FlaskForm):
    def validate_locale(self, field):
        from webapp.services.languages import LanguageError, normalize

        try:
            field.data = normalize(field.data or "")
        except LanguageError as exc:
            raise ValidationError(str(exc)) from None

    name = StringField("Organization name", validators=[DataRequired(), Length(max=200)])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    locale = StringField(
        "Default language",
        validators=[Optional(), Length(max=16)],
        description="For candidates whose language a template has no translation for, "
        "e.g. en, de, fr-CA.",
    )
    postal_address = TextAreaField(
        "Postal address",
        validators=[Length(max=1000)],
        description="Shown in the footer of every email. Bulk sends need one (CAN-SPAM).",
    )
    sender_name = StringField("Sender name", validators=[Length(max=200)])
    sender_email = EmailField("Sender address", validators=[Optional(), Email(), Length(max=320)])
    reply_to = EmailField("Reply-to address", validators=[Optional(), Email(), Length(max=320)])
    sending_domain = StringField(
        "Sending domain",
        validators=[Length(max=253)],
        description="Used in Message-IDs and for DKIM, e.g. mail.example.com",
    )
    frequency_cap = IntegerField(
        "Daily limit per candidate",
        validators=[Optional(), NumberRange(min=1, max=100)],
        description="Non-transactional emails one person may get in a day (default 3).",
    )
    quiet_hours_start = IntegerField(
        "Quiet hours from (hour)", validators=[Optional(), NumberRange(0, 23)]
    )
    quiet_hours_end = IntegerField(
        "Quiet hours until (hour)", validators=[Optional(), NumberRange(0, 23)]
    )
    reminder_offsets = StringField(
        "Reminder times (hours before the interview)",
        validators=[Length(max=50)],
        description="Comma-separated, e.g. 24, 2",
    )
    notify_candidates = BooleanField(
        "Notify the candidate when an interview moves or is canceled",
        description='The default of the "Notify the candidate" box on the interview form '
        "and in the API.",
    )
    chat_webhook_url = StringField(
        "Slack or Microsoft Teams incoming-webhook URL",
        validators=[Optional(), Length(max=2000)],
        render_kw={"autocomplete": "off", "type": "url"},
        description="Herald posts candidates' answers and its sending alerts there. "
        "Leave empty to keep the one set.",
    )
    remove_chat_webhook = BooleanField("Stop posting to the chat channel")
    open_tracking = BooleanField("Track opens")
    click_tracking = BooleanField("Track clicks")

    def validate_sending_domain(self, field):
        value = (field.data or "").strip().lower()
        if value and ("." not in value or " " in value or "@" in value):
            raise ValidationError("Enter a domain such as mail.example.com.")

    def validate_chat_webhook_url(self, field):
        from webapp.services.notify.chat import ChatError, validate_url

        if field.data:
            try:
                validate_url(field.data)
            except ChatError as exc:
                raise ValidationError(str(exc)) from None

    def validate_reminder_offsets(self, field):
        try:
            offsets = parse_offsets(field.data)
        except ValueError:
            raise ValidationError("Use whole hours separated by commas, e.g. 24, 2.") from None
        if any(not 0 < hours <= 24 * 14 for hours in offsets):
            raise ValidationError("Each reminder must be between 1 hour and 14 days before.")


def parse_offsets(raw: str | None) -> list[int]:
    return sorted(
        {int(part) for part in (raw or "").replace(" ", "").split(",") if part}, reverse=True
    )


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=320)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
