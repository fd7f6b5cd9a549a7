"""The browser tests' fixtures and hooks (Debian's Chromium, sign-in, live server) for cases too."""

from tests.browser.conftest import *  # noqa: F403 - fixtures and hooks are found by name
