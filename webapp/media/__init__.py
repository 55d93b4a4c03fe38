from flask import Blueprint

# Public: mail clients fetch these images with no session. The name is an unguessable id.
bp = Blueprint("media", __name__, url_prefix="/media")
