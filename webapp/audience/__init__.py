from flask import Blueprint

bp = Blueprint("audience", __name__, url_prefix="/audience")
