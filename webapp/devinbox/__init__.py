from flask import Blueprint

bp = Blueprint("devinbox", __name__, url_prefix="/dev-inbox")
