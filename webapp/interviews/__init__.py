from flask import Blueprint

bp = Blueprint("interviews", __name__, url_prefix="/i")
