from webapp.api import bp  # noqa: F401
