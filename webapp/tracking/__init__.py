from flask import Blueprint

bp = Blueprint("tracking", __name__, url_prefix="/t")


def _install_fast_path(state) -> None:
    from webapp.tracking.fastpath import install

    install(state)


bp.record_once(_install_fast_path)  # the open pixel's WSGI fast path (see fastpath.py)
