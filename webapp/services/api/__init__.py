"""Services behind the JSON API: pagination cursors, idempotency, and the few operations the
API needs that no feature service offers."""
