"""The dev inbox page: what the local SMTP server received (only when it is the relay), each
organization seeing only the mail it sent."""

from flask import abort, current_app, flash, g, redirect, render_template, url_for

from webapp.current import guard_blueprint
from webapp.devinbox import bp
from webapp.i18n.pages import gettext
from webapp.models import Role
from webapp.services import devinbox

guard_blueprint(bp, read=Role.VIEWER, write=Role.EDITOR)


@bp.before_request
def _only_when_enabled():
    if not current_app.config["HERALD"].dev_inbox:
        abort(404)


def _folder():
    return current_app.config["HERALD"].instance_path / "devinbox"


@bp.get("/")
def index():
    messages = devinbox.list_messages(_folder(), g.org.id)
    return render_template("devinbox/index.html", messages=messages)


@bp.get("/<key>")
def show(key: str):
    message = devinbox.get_message(_folder(), g.org.id, key)
    if message is None:
        abort(404)
    return render_template("devinbox/show.html", message=message)


@bp.get("/<key>/raw")
def raw(key: str):
    data = devinbox.raw_bytes(_folder(), g.org.id, key)
    if data is None:
        abort(404)
    return current_app.response_class(data, mimetype="text/plain")


@bp.post("/clear")
def clear():
    count = devinbox.clear(_folder(), g.org.id)
    flash(gettext("Removed %(n)s emails from the dev inbox.", n=count), "success")
    return redirect(url_for("devinbox.index"))
