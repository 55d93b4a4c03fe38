from webapp.webhooks import bp  # noqa: F401
