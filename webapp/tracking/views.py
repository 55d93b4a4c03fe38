from webapp.tracking import bp  # noqa: F401
