from webapp.interviews import bp  # noqa: F401
