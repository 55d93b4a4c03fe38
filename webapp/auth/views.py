import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp
from webapp.auth.forms import LoginForm
from webapp.current import SESSION_ORG_KEY
from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import utcnow
from webapp.redis_client import get_redis
from webapp.services import ratelimit
from webapp.services.accounts import password_reset
from webapp.services.accounts.login_sessions import end_all_sessions, end_session, start_session
from webapp.services.accounts.organizations import find_user
from webapp.services.accounts.passwords import verify_password
from webapp.throttle import enforce


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and "//" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:320]  # back from setting a new password
    if request.method == "POST":
        enforce("login", current_app.config["HERALD"].login_rate_limit)
    if form.validate_on_submit():
        user = find_user(form.email.data)
        valid = verify_password(user.password_hash if user else None, form.password.data)
        if user is not None and valid and user.is_active:
            session.clear()
            start_session(user, idle=current_app.config["HERALD"].session_idle)
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(gettext("That email and password do not match an account."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_session(current_user.login_session_id)
    db.session.commit()
    logout_user()
    session.pop(SESSION_ORG_KEY, None)
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    from webapp.auth.forms import SetPasswordForm
    from webapp.models import User
    from webapp.services.accounts.passwords import hash_password
    from webapp.services.tokens import InvalidToken, read_token
    from webapp.tenancy import parse_uuid

    try:
        user_id, fingerprint = read_token("password", token)
    except (InvalidToken, ValueError, TypeError):
        user_id, fingerprint = None, None
    user = db.session.get(User, parse_uuid(user_id)) if parse_uuid(user_id) else None
    if user is None or user.password_hash[-16:] != fingerprint:
        return render_template("auth/link_expired.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.password_hash = hash_password(form.password.data)
        end_all_sessions(user.id)  # whoever knew the old password is signed out everywhere
        db.session.commit()
        flash(gettext("Your password is set. Sign in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


# "Forgot password" (webapp.services.accounts.password_reset): one answer whether the account exists
# or not; a client may ask as often as it may try to sign in, an address three times an hour.
RESET_PER_ADDRESS_PER_HOUR = 3


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    from webapp.auth.forms import ForgotPasswordForm

    form = ForgotPasswordForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:320]
    if request.method == "POST":
        enforce("password_reset", current_app.config["HERALD"].login_rate_limit)
    if form.validate_on_submit():
        address = form.email.data.strip().lower()
        if _address_may_ask(address):
            password_reset.request_reset(address, lifetime=_reset_lifetime())
            db.session.commit()
        return render_template(
            "auth/forgot_password_sent.html",
            email=address,
            lifetime=password_reset.describe(_reset_lifetime()),
        )
    return render_template("auth/forgot_password.html", form=form)


def _reset_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["HERALD"].password_reset_minutes)


def _address_may_ask(address: str) -> bool:
    """Per-address budget, so nobody can flood someone's inbox. Fails open if Redis is down."""
    key = "password_reset_address:" + hashlib.sha256(address.encode()).hexdigest()[:24]
    try:
        verdict = ratelimit.take(
            get_redis(),
            key,
            rate_per_second=RESET_PER_ADDRESS_PER_HOUR / 3600,
            capacity=RESET_PER_ADDRESS_PER_HOUR,
        )
    except redis.RedisError:
        return True
    return verdict.allowed


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    from webapp.auth.forms import SetPasswordForm

    user = password_reset.user_for_token(token, lifetime=_reset_lifetime())
    if user is None:
        return render_template("auth/link_expired.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        password_reset.complete_reset(user, form.password.data)
        db.session.commit()
        logout_user()  # this browser too: the new password is how one signs in now
        flash(gettext("Your new password is set and every earlier sign-in has ended."), "success")
        return redirect(url_for("auth.login", email=user.email))
    return render_template("auth/set_password.html", form=form, user=user, is_reset=True)
