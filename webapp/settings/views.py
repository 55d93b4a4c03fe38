"""Settings: the organization and its members. Other settings pages (brand, relays, domains,
API keys, webhooks, suppressions, audit log) live in sibling modules imported below."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import Membership, Role, User
from webapp.services import audit
from webapp.services.accounts.members import invite_member
from webapp.services.accounts.members import remove_member as remove_member_from_org
from webapp.services.accounts.organizations import owners_count
from webapp.services.interviews import updates as interview_updates
from webapp.services.notify import chat

# Every other settings page registers its routes on ``bp`` when imported.
from webapp.settings import (  # noqa: F401
    api_keys,
    bp,
    brand,
    domains,
    inbound,
    providers,
    relays,
    suppressions,
    triggers,
    webhooks,
)
from webapp.settings import audit as audit_page  # noqa: F401  ("audit" names the service)
from webapp.settings.forms import (
    ROLE_CHOICES,
    InviteForm,
    OrganizationForm,
    RoleForm,
    parse_offsets,
    timezone_choices,
)
from webapp.tenancy import get_or_404, scoped

guard_blueprint(bp, read=Role.VIEWER, write=Role.ADMIN)


@bp.route("/", methods=["GET", "POST"])
def organization():
    org = g.org
    form = OrganizationForm(obj=org)
    form.timezone.choices = timezone_choices()
    if not form.is_submitted():
        form.reminder_offsets.data = ", ".join(str(h) for h in org.reminder_offsets_hours or [])
        form.notify_candidates.data = interview_updates.notifies_by_default(org)
    if form.validate_on_submit():
        for name in (
            "name",
            "timezone",
            "postal_address",
            "sender_name",
            "sender_email",
            "reply_to",
            "frequency_cap",
            "quiet_hours_start",
            "quiet_hours_end",
            "open_tracking",
            "click_tracking",
        ):
            setattr(org, name, getattr(form, name).data)
        org.sending_domain = (form.sending_domain.data or "").strip().lower()
        org.locale = form.locale.data or org.locale  # kept when the form leaves it out
        org.reminder_offsets_hours = parse_offsets(form.reminder_offsets.data)
        org.settings = {
            **(org.settings or {}),
            interview_updates.NOTIFY_SETTING: bool(form.notify_candidates.data),
        }
        if form.remove_chat_webhook.data:
            chat.set_url(org, None)
        elif form.chat_webhook_url.data:
            chat.set_url(org, form.chat_webhook_url.data)
        audit.record(
            org.id,
            "settings.update",
            actor_user_id=current_user.id,
            actor_label=current_user.email,
            target_type="organization",
            target_id=org.id,
        )
        db.session.commit()
        flash(gettext("Organization settings saved."), "success")
        return redirect(url_for("settings.organization"))
    return render_template(
        "settings/organization.html", form=form, has_chat_channel=chat.has_url(org)
    )


@bp.get("/members")
def members():
    rows = db.session.execute(
        scoped(select(Membership, User), g.org, Membership)
        .join(User, User.id == Membership.user_id)
        .order_by(User.email)
    ).all()
    return render_template(
        "settings/members.html", rows=rows, invite_form=InviteForm(), role_choices=ROLE_CHOICES
    )


@bp.post("/members/invite")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        rows = db.session.execute(
            scoped(select(Membership, User), g.org, Membership)
            .join(User, User.id == Membership.user_id)
            .order_by(User.email)
        ).all()
        return render_template(
            "settings/members.html", rows=rows, invite_form=form, role_choices=ROLE_CHOICES
        ), 422
    if Role(form.role.data) == Role.OWNER and g.role != Role.OWNER:
        abort(403)
    result = invite_member(g.org, form.email.data, form.role.data, invited_by=current_user)
    audit.record(
        g.org.id,
        "member.invite",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="user",
        target_id=result.user.id,
        details={"role": form.role.data},
    )
    db.session.commit()
    flash(result.message, "success")
    return redirect(url_for("settings.members"))


@bp.post("/members/<uuid:membership_id>/role")
def change_role(membership_id):
    membership = get_or_404(Membership, membership_id, g.org)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    new_role = Role(form.role.data)
    touches_owner = Role.OWNER in (new_role, Role(membership.role))
    if touches_owner and g.role != Role.OWNER:
        abort(403)
    if (
        membership.role == Role.OWNER.value
        and new_role != Role.OWNER
        and owners_count(g.org.id) == 1
    ):
        flash(
            gettext("An organization needs at least one owner. Make someone else owner first."),
            "error",
        )
        return redirect(url_for("settings.members"))
    membership.role = new_role.value
    audit.record(
        g.org.id,
        "member.role",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="user",
        target_id=membership.user_id,
        details={"role": new_role.value},
    )
    db.session.commit()
    flash(gettext("Role changed."), "success")
    return redirect(url_for("settings.members"))


@bp.post("/members/<uuid:membership_id>/remove")
def remove_member(membership_id):
    membership = get_or_404(Membership, membership_id, g.org)
    if membership.role == Role.OWNER.value and (
        g.role != Role.OWNER or owners_count(g.org.id) == 1
    ):
        flash(
            gettext("The last owner cannot be removed, and only owners can remove owners."),
            "error",
        )
        return redirect(url_for("settings.members"))
    audit.record(
        g.org.id,
        "member.remove",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="user",
        target_id=membership.user_id,
    )
    remove_member_from_org(membership)
    db.session.commit()
    flash(gettext("Member removed."), "success")
    return redirect(url_for("settings.members"))
