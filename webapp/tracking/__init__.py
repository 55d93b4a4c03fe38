from flask import Blueprint

bp = Blueprint("tracking", __name__, url_prefix="/t")
