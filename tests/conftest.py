"""
Shared fixtures, and the one place that decides what a missing service means.

On a laptop, a test that needs PostgreSQL, Redis or a browser skips when the
service is not there. CI sets REQUIRE_SERVICES=1 and the same test fails instead,
so a broken CI machine can never pass by skipping.
"""

import os
import shutil
import socket
import uuid
from urllib.parse import urlparse

import pytest
from django.db import connection

from marketplace.celery import app as celery_app
from notifications import outbox

CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; fail in CI (REQUIRE_SERVICES=1)."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES is set but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return url
    except OSError:
        return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.browser)
    # Browser tests run last: Playwright keeps an event loop running in the main thread
    # from its first test to the end of the session, and Django refuses database work
    # in a thread with a running loop (the other tests' setup and teardown included).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _required_services(request):
    """Honour the postgres / redis / browser markers."""
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("this test needs PostgreSQL (set DATABASE_URL)")
    if request.node.get_closest_marker("redis") and redis_url() is None:
        skip_or_fail("this test needs Redis (set REDIS_URL to a running server)")
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        skip_or_fail(f"this test needs Debian's Chromium at {CHROMIUM}")


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_folder(tmp_path_factory):
    """Photos the tests upload (and their thumbnails) go to a folder of this run, never
    to var/media; browser tests' live server serves it (SERVE_MEDIA)."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache of its own (page fragments): nothing cached by
    another test, another run or another checkout sharing the Redis can answer for it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def page_cache_off(settings):
    """Every page rendered afresh (core.pagecache off): for tests counting a render's queries."""
    settings.PAGE_CACHE = False


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process in tests; the broker round trip has its own test."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _broker_not_paused():
    """After a broker error the outbox leaves dispatch to the sweep for a while (module
    state, for the whole process): no test inherits that pause from another."""
    outbox._broker_paused_until = 0.0
    yield
    outbox._broker_paused_until = 0.0


@pytest.fixture(autouse=True)
def _no_login_throttling(settings):
    """django-axes has its own tests; ours sign in many times."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords, not test users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def localstripe():
    """A localstripe server for this test session (tests/localstripe.py)."""
    from tests.localstripe import LocalStripe

    server = LocalStripe.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_gateway(settings, localstripe):
    """The portal's payments go through the Stripe gateway, to localstripe."""
    from tests import localstripe as keys

    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_JS_URL = localstripe.js_url
    settings.STRIPE_SECRET_KEY = keys.SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = keys.PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = keys.WEBHOOK_SECRET
    return localstripe


@pytest.fixture(params=["sandbox", "stripe"])
def gateway(request):
    """
    Run the test once per gateway: the sandbox, and the Stripe gateway against
    localstripe. A test that is about one gateway only parametrizes it
    (``@pytest.mark.parametrize("gateway", ["sandbox"], indirect=True)``).
    """
    if request.param == "stripe":
        request.getfixturevalue("stripe_gateway")
    return request.param
