"""Settings come from the environment, with safe defaults for a laptop."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "host": settings.DATABASES["default"].get("HOST", ""),
    "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE", 0),
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "broker": settings.CELERY_BROKER_URL,
    "result_backend": settings.CELERY_RESULT_BACKEND,
    "email_backend": settings.MAILERS["default"]["BACKEND"],
    "email_host": settings.MAILERS["default"]["OPTIONS"].get("host"),
    "secret_key": settings.SECRET_KEY,
    "auto_cancel_days": settings.AUTO_CANCEL_AFTER_DAYS,
}))
"""

SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "AUTO_CANCEL_AFTER_DAYS",
)


def load_settings(**variables):
    """Import the settings in a fresh interpreter with exactly these variables set."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="marketplace.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_defaults_need_no_external_service():
    """With no variable set: SQLite under var/, a serverless broker, console email."""
    result = load_settings()
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"].endswith("var/db.sqlite3")
    assert loaded["debug"] is True
    assert loaded["broker"] == "filesystem://"
    assert loaded["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["auto_cancel_days"] == 7


def test_environment_overrides():
    """DATABASE_URL, REDIS_URL, DEBUG, ALLOWED_HOSTS, EMAIL_URL and domain windows are read."""
    result = load_settings(
        DATABASE_URL="postgres://shop:pw@db.internal:5433/shop",
        REDIS_URL="redis://cache.internal:6379/2",
        DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="shop.example.com,www.shop.example.com",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
        AUTO_CANCEL_AFTER_DAYS="4",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["host"] == "db.internal"
    assert loaded["conn_max_age"] == 60
    assert loaded["debug"] is False
    assert loaded["allowed_hosts"] == ["shop.example.com", "www.shop.example.com"]
    assert loaded["broker"] == "redis://cache.internal:6379/2"
    assert loaded["result_backend"] == "redis://cache.internal:6379/2"
    assert loaded["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["email_host"] == "smtp.example.com"
    assert loaded["auto_cancel_days"] == 4


def test_production_refuses_to_start_without_a_secret_key():
    """DEBUG=0 with no SECRET_KEY is a configuration error, not a silent default."""
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["0", "1"])
def test_check_deploy_on_production_settings(debug):
    """`check --deploy` passes with production variables, and fails with DEBUG on."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        DEBUG=debug,
        SECRET_KEY="a-long-production-secret-key-" + "k3y" * 20,
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL="sqlite:///:memory:",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if debug == "0":
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "security.W018" in result.stderr  # DEBUG must be off in production
