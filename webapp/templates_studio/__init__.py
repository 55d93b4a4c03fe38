from flask import Blueprint

bp = Blueprint("templates_studio", __name__, url_prefix="/templates")
