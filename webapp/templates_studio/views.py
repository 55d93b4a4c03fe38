from flask import render_template

from webapp.current import guard_blueprint
from webapp.templates_studio import bp

guard_blueprint(bp)


@bp.get("/")
def index():
    return render_template("shared/placeholder.html", title="Templates")
