from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp
from webapp.auth.forms import LoginForm
from webapp.current import SESSION_ORG_KEY
from webapp.extensions import db
from webapp.models import utcnow
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
        form.password.errors.append("That email and password do not match an account.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_session(current_user.login_session_id)
    db.session.commit()
    logout_user()
    session.pop(SESSION_ORG_KEY, None)
    flash("You are signed out.", "info")
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
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)
