"""Settings come from the environment, with safe defaults and no hard-coded secret."""

from pathlib import Path

from webapp.config import load_settings


def test_defaults_use_sqlite_and_embedded_redis_in_the_instance_folder(tmp_path):
    settings = load_settings(environ={"HERALD_INSTANCE_PATH": str(tmp_path)})
    assert settings.sqlalchemy_uri == f"sqlite:///{tmp_path / 'herald.db'}"
    assert settings.redis_url == ""  # empty means: start the embedded Redis
    assert settings.public_url == "http://127.0.0.1:5000"


def test_secret_key_is_generated_once_and_persisted(tmp_path):
    first = load_settings(environ={"HERALD_INSTANCE_PATH": str(tmp_path)}).secret_key
    second = load_settings(environ={"HERALD_INSTANCE_PATH": str(tmp_path)}).secret_key
    assert len(first) >= 40
    assert first == second
    key_file = Path(tmp_path) / "secret_key"
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    other = load_settings(environ={"HERALD_INSTANCE_PATH": str(tmp_path / "other")}).secret_key
    assert other != first  # never a shared, hard-coded default


def test_environment_overrides(tmp_path):
    settings = load_settings(
        environ={
            "HERALD_INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": "postgres://u@db.example.com/herald",
            "REDIS_URL": "redis://cache:6379/2",
            "SECRET_KEY": "from-env",
            "HERALD_OLD_SECRET_KEYS": "old-1, old-2",
            "HERALD_PUBLIC_URL": "https://mail.example.com/",
            "HERALD_SMTP_PORT": "2525",
            "HERALD_SESSION_COOKIE_SECURE": "true",
            "HERALD_SMTP_TIMEOUT": "2.5",
        }
    )
    assert settings.sqlalchemy_uri == "postgresql+psycopg://u@db.example.com/herald"
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.secret_key == "from-env"
    assert settings.old_secret_keys == ["old-1", "old-2"]
    assert settings.public_url == "https://mail.example.com"
    assert settings.smtp_port == 2525
    assert settings.session_cookie_secure is True
    assert settings.smtp_timeout == 2.5
    assert not (tmp_path / "secret_key").exists()


def test_overrides_passed_by_tests_win(tmp_path):
    settings = load_settings(
        {"smtp_port": 1},
        environ={"HERALD_SMTP_PORT": "2525", "HERALD_INSTANCE_PATH": str(tmp_path)},
    )
    assert settings.smtp_port == 1


def test_app_uses_settings(app):
    assert app.config["SECRET_KEY"] == "test-secret-key-for-herald"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
