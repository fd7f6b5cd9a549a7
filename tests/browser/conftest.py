"""
Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

``live_server`` makes each test transactional, so the rows a test creates are visible
to the server thread, ``on_commit`` callbacks really run (the outbox delivers gateway
calls and emails at once: Celery is eager in tests), and the test reads back what the
browser changed.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, SellerFactory, UserFactory

# Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
# from a thread with a running loop. The test's ORM calls never overlap the browser's
# (each Playwright call returns before the next line runs), so this is safe here. The
# switch is on only while a browser test (and its fixtures) runs: these hooks apply to
# this folder's tests alone, so it never leaks into other tests or their subprocesses.
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    os.environ[ASYNC_UNSAFE] = "true"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)  # the fixtures' teardown (the database flush) needs it too
    finally:
        os.environ.pop(ASYNC_UNSAFE, None)


# Long enough for a slow CI machine, short enough that a broken page fails in seconds
# rather than hanging for Playwright's default 30 s.
ACTION_TIMEOUT_MS = 10_000

CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach Google's services on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser (``playwright install`` is not used)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """Every page talks to the live server, so tests write ``page.goto("/your-orders/")``."""
    return live_server.url


@pytest.fixture
def context(new_context):
    context = new_context()
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


@pytest.fixture
def new_page(new_context):
    """Another person's browser: a fresh context (own cookies), as a second device would be."""

    def open_page() -> Page:
        context = new_context()
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        return context.new_page()

    return open_page


@pytest.fixture
def sign_in():
    """
    Sign ``user`` in through the real sign-in page, and wait until it has moved on (at a
    phone's width the menu, and so Sign out, is behind its toggle).
    """

    def sign_in_as(page: Page, user) -> None:
        page.goto("/accounts/sign-in/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile("/accounts/sign-in/"))

    return sign_in_as


@pytest.fixture
def screenshot(pytestconfig):
    """Save a full-page screenshot under test-results/ (pytest-playwright's --output)."""
    folder = Path(pytestconfig.getoption("--output"))

    def save(page: Page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


@pytest.fixture
def buyer():
    return UserFactory(username="bea", first_name="Bea")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam", first_name="Sam"), store_name="Sam's")


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    """
    Start Playwright after the test databases exist, so it stops (with its event loop)
    before they are dropped at the end of the session.
    """
    return playwright
