"""Forms of the audience pages (candidates, jobs, interview details)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional


class CandidateForm(FlaskForm):
    email = StringField("Email address", validators=[DataRequired(), Length(max=320)])
    first_name = StringField("First name", validators=[Length(max=200)])
    last_name = StringField("Last name", validators=[Length(max=200)])
    timezone = StringField(
        "Time zone",
        default="UTC",
        validators=[Length(max=64)],
        description="A name like Europe/Paris or America/New_York; times in emails use it.",
    )
    locale = StringField("Language", default="en", validators=[Length(max=16)])
    external_id = StringField(
        "External id", validators=[Length(max=200)], description="The id in your ATS (optional)."
    )


class JobForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    location = StringField("Location", validators=[Length(max=300)])
    department = StringField("Department", validators=[Length(max=200)])
    is_open = BooleanField("Open for applications", default=True)
    recruiter_ids = SelectMultipleField(
        "Recruiters",
        choices=[],  # the organization's members, set by the view
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description="Told when a candidate answers an invitation for this job, as each "
        "chose on the Responses page.",
    )


class EntryForm(FlaskForm):
    interview_at = StringField(
        "Interview time",
        validators=[Optional()],
        render_kw={"type": "datetime-local"},
        description="In the organization's time zone.",
    )
    duration_minutes = IntegerField(
        "Duration (minutes)", default=45, validators=[NumberRange(min=5, max=600)]
    )
    location = StringField("Location", validators=[Length(max=500)])
    video_url = StringField("Video link", validators=[Optional(), URL(), Length(max=2000)])
    offered_slots = TextAreaField(
        "Offered times",
        description="One per line, as YYYY-MM-DD HH:MM in the organization's time zone. "
        "The candidate can pick one.",
    )
    is_canceled = BooleanField("Interview canceled")
    notify_candidate = BooleanField(
        "Notify the candidate",
        description="Email the new time (or the cancellation) with an updated calendar entry.",
    )
