from flask import render_template

from webapp.audience import bp
from webapp.current import guard_blueprint

guard_blueprint(bp)


@bp.get("/candidates")
def candidates():
    return render_template("shared/placeholder.html", title="Candidates")


@bp.get("/jobs")
def jobs():
    return render_template("shared/placeholder.html", title="Jobs")
