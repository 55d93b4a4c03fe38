"""Checks beyond JSON Schema, reported field by field."""

from __future__ import annotations

from datetime import UTC, datetime

from webapp.services.addresses import EmailNotValidError, normalized_address


class FieldErrors(ValueError):
    """One or more fields are not acceptable: ``errors`` is ``[{"field", "message"}]``."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def field_error(field: str, message: str) -> FieldErrors:
    return FieldErrors([{"field": field, "message": message}])


def clean_email(value: str, field: str = "email") -> str:
    try:
        return normalized_address(value)
    except EmailNotValidError as exc:
        raise field_error(field, str(exc)) from None


def parse_datetime(value: str, field: str) -> datetime:
    """An ISO-8601 timestamp with an offset (``Z`` allowed), returned in UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise field_error(field, "must be an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        raise field_error(field, "must include a time zone offset, e.g. 2030-01-31T09:00:00Z")
    if not 2000 <= parsed.year <= 2999:
        raise field_error(field, "must be between the years 2000 and 2999")
    return parsed.astimezone(UTC)


def clean_locale(value: str, field: str = "locale") -> str:
    """A language tag such as ``fr-CA``, normalized (``fr_ca`` → ``fr-CA``)."""
    from webapp.services.languages import LanguageError, normalize

    try:
        return normalize(value)
    except LanguageError as exc:
        raise field_error(field, str(exc)) from None
