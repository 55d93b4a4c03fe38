from flask import render_template

from webapp.current import guard_blueprint
from webapp.stats import bp

guard_blueprint(bp)


@bp.get("/")
def overview():
    return render_template("shared/placeholder.html", title="Stats")
