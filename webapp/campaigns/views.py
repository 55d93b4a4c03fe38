from flask import render_template

from webapp.campaigns import bp
from webapp.current import guard_blueprint

guard_blueprint(bp)


@bp.get("/")
def index():
    return render_template("shared/placeholder.html", title="Campaigns")


@bp.get("/new")
def new():
    return render_template("shared/placeholder.html", title="New campaign")


@bp.get("/<uuid:campaign_id>")
def show(campaign_id):
    return render_template("shared/placeholder.html", title="Campaign")
