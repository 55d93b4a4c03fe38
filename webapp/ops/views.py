from webapp.ops import bp  # noqa: F401
