from flask import Blueprint

bp = Blueprint("responses", __name__, url_prefix="/responses")
