from webapp.preferences import bp  # noqa: F401
