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
from allauth.account import app_settings as account_settings
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
    "session_cookie_secure": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "account_rate_limits": account_settings.RATE_LIMITS,
    "media_storage": settings.STORAGES["default"],
    "serve_media": settings.SERVE_MEDIA,
    "img_src": settings.SECURE_CSP["img-src"],
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
    "PAYMENT_CAPTURE",
    "PAYMENT_GATEWAY",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STAGING",
    "ENV_FILE",
    "ACCOUNT_RATE_LIMITS_ENABLED",
    "MEDIA_BUCKET",
    "MEDIA_URL",
    "SERVE_MEDIA",
    "AWS_S3_ENDPOINT_URL",
)

PRODUCTION_KEY = "a-long-production-secret-key-" + "k3y" * 20


def load_settings(**variables):
    """Import the settings in a fresh interpreter with exactly these variables set."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    # ENV_FILE="": the checkout's own .env (a laptop's DEBUG=1) must not leak in.
    env.update({"ENV_FILE": "", **variables}, DJANGO_SETTINGS_MODULE="marketplace.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_a_missing_debug_variable_means_production():
    """With no variable at all the portal refuses to start in debug mode with the published
    key: DEBUG defaults to off, and off needs a real SECRET_KEY."""
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_from_the_laptop_env_file(tmp_path):
    """`make run` copies .env.example to .env: DEBUG=1 comes from there, and a real
    variable still wins over the file."""
    env_file = tmp_path / ".env"
    env_file.write_text((BASE_DIR / ".env.example").read_text())
    laptop = json.loads(load_settings(ENV_FILE=str(env_file)).stdout)
    assert laptop["debug"] is True
    production = load_settings(ENV_FILE=str(env_file), DEBUG="0", SECRET_KEY=PRODUCTION_KEY)
    assert production.returncode == 0, production.stderr
    assert json.loads(production.stdout)["debug"] is False


def test_laptop_defaults_need_no_external_service():
    """With DEBUG=1 and nothing else: SQLite under var/, a serverless broker, console email."""
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"].endswith("var/db.sqlite3")
    assert loaded["debug"] is True
    assert loaded["broker"] == "filesystem://"
    assert loaded["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["auto_cancel_days"] == 7


def test_account_throttles_are_on_unless_turned_off():
    """allauth's throttles (sign up, reset…) are on by default; ACCOUNT_RATE_LIMITS_ENABLED=0
    (the benchmarks' many sign-ins from one address) really turns them off."""
    on = json.loads(load_settings(DEBUG="1").stdout)["account_rate_limits"]
    off = json.loads(load_settings(DEBUG="1", ACCOUNT_RATE_LIMITS_ENABLED="0").stdout)
    assert on["signup"] == "10/h/ip" and on["reset_password"] == "20/m/ip,5/m/key"
    assert off["account_rate_limits"] == {}


def test_photos_are_files_under_var_on_a_laptop_and_in_a_bucket_in_production():
    """
    A laptop keeps photos on the file system and serves them itself; production with
    MEDIA_BUCKET stores them through django-storages' S3 backend (any S3-compatible
    endpoint), never serves them from a web worker, and lets pages load them from MEDIA_URL.
    """
    laptop = json.loads(load_settings(DEBUG="1").stdout)
    production = load_settings(
        SECRET_KEY=PRODUCTION_KEY,
        MEDIA_BUCKET="shop-photos",
        AWS_S3_ENDPOINT_URL="https://s3.example.net",
        MEDIA_URL="https://photos.example.com/",
    )
    assert production.returncode == 0, production.stderr
    bucket = json.loads(production.stdout)

    assert laptop["media_storage"]["BACKEND"].endswith("FileSystemStorage")
    assert laptop["serve_media"] is True
    assert bucket["media_storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert bucket["media_storage"]["OPTIONS"]["bucket_name"] == "shop-photos"
    assert bucket["media_storage"]["OPTIONS"]["endpoint_url"] == "https://s3.example.net"
    assert bucket["serve_media"] is False
    assert "https://photos.example.com/" in bucket["img_src"]


def test_environment_overrides():
    """DATABASE_URL, REDIS_URL, DEBUG, ALLOWED_HOSTS, EMAIL_URL and domain windows are read."""
    result = load_settings(
        DATABASE_URL="postgres://shop:pw@db.internal:5433/shop",
        REDIS_URL="redis://cache.internal:6379/2",
        DEBUG="0",
        SECRET_KEY=PRODUCTION_KEY,
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


@pytest.mark.parametrize(
    "secret_key",
    [
        "",
        "   ",
        "short-but-secret",
        "x" * 60,  # long, but one character
        "django-insecure-development-key-only-for-debug-mode",
        "django-insecure-" + "abcdef0123" * 6,
    ],
)
def test_production_refuses_a_weak_secret_key(secret_key):
    """DEBUG=0 with a blank, short, repetitive or development key is a configuration error,
    not a silent default."""
    result = load_settings(DEBUG="0", SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_has_secure_cookies():
    result = load_settings(DEBUG="0", SECRET_KEY=PRODUCTION_KEY)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["session_cookie_secure"] is True


@pytest.mark.parametrize("mode", ["shipment", "checkout"])
def test_payment_capture_modes_are_accepted(mode):
    assert load_settings(DEBUG="1", PAYMENT_CAPTURE=mode).returncode == 0


def test_a_payment_capture_typo_stops_startup():
    """ "chekout" would otherwise silently behave as capture at shipment."""
    result = load_settings(DEBUG="1", PAYMENT_CAPTURE="chekout")
    assert result.returncode != 0
    assert "PAYMENT_CAPTURE must be 'shipment' or 'checkout'" in result.stderr


@pytest.mark.parametrize("debug", ["0", "1"])
def test_check_deploy_on_production_settings(debug):
    """`check --deploy` passes with production variables, and fails with DEBUG on."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        ENV_FILE="",
        DEBUG=debug,
        SECRET_KEY=PRODUCTION_KEY,
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


def test_a_payment_gateway_typo_stops_startup():
    result = load_settings(DEBUG="1", PAYMENT_GATEWAY="strip")
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY must be 'sandbox', 'stripe' or a dotted path" in result.stderr


LIVE_STRIPE = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_" + "x" * 24,
    "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "x" * 24,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "x" * 24,
}


def test_production_runs_the_stripe_gateway_with_live_keys():
    result = load_settings(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, **LIVE_STRIPE)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("STRIPE_SECRET_KEY", "sk_test_" + "x" * 24, "live STRIPE_SECRET_KEY"),
        ("STRIPE_SECRET_KEY", "", "live STRIPE_SECRET_KEY"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_" + "x" * 24, "STRIPE_PUBLISHABLE_KEY"),
        ("STRIPE_WEBHOOK_SECRET", "", "STRIPE_WEBHOOK_SECRET"),
    ],
)
def test_production_refuses_the_stripe_gateway_with_a_test_or_missing_key(
    variable, value, complaint
):
    result = load_settings(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, **{**LIVE_STRIPE, variable: value})
    assert result.returncode != 0
    assert complaint in result.stderr


def test_a_staging_deployment_may_run_the_stripe_gateway_with_test_keys():
    test_keys = {
        **LIVE_STRIPE,
        "STRIPE_SECRET_KEY": "sk_test_" + "x" * 24,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_" + "x" * 24,
    }
    refused = load_settings(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, **test_keys)
    staging = load_settings(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, STAGING="1", **test_keys)
    assert refused.returncode != 0
    assert staging.returncode == 0, staging.stderr
