"""
Checks that a page served from the page cache (core.pagecache) is the page a fresh render
gives, now and as time goes by: a change the rows' digest misses, or a deadline a page
does not name, shows as a difference here.
"""

import difflib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}"')
NONCE = re.compile(r'nonce="[^"]*"')
YEARS = 10 * 365 * 86400


def normalized(html: str) -> str:
    """The page with its per-request parts (CSRF token, CSP nonce) blanked."""
    return NONCE.sub('nonce=""', CSRF.sub(r'\g<1>"', html))


@contextmanager
def at_moment(now: datetime | None) -> Iterator[None]:
    """Everything that asks ``django.utils.timezone.now()`` gets ``now`` (None: the clock)."""
    if now is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield


def walk(start: datetime | None = None, *, days: int = 45) -> list[datetime]:
    """
    Instants from ``start`` (now): every 10 minutes for 3 hours, hourly for 3 days, every
    6 hours to 10 days, daily to ``days`` (the windows: cancel, late, deliver, return).
    """
    start = start or timezone.now()
    steps = (
        [timedelta(minutes=10 * n) for n in range(18)]
        + [timedelta(hours=n) for n in range(3, 72)]
        + [timedelta(hours=6 * n) for n in range(12, 40)]
        + [timedelta(days=n) for n in range(10, days + 1)]
    )
    return [start + step for step in steps]


def long_sessions(settings) -> None:
    """Sessions that outlive the walk (call before signing in)."""
    settings.SESSION_COOKIE_AGE = YEARS


def assert_served_as_rendered(
    client, url: str, settings, at: Iterable[datetime | None] = (None,)
) -> int:
    """
    At each instant of ``at``, the page as served (from the cache when it holds it)
    equals a fresh render; returns how many were served from the cache.
    """
    hits, cache_on = 0, settings.PAGE_CACHE
    for now in at:
        with at_moment(now):
            served = client.get(url)
            settings.PAGE_CACHE = False
            try:
                fresh = client.get(url)
            finally:
                settings.PAGE_CACHE = cache_on
        assert served.status_code == fresh.status_code == 200, (now, served.status_code)
        got, want = normalized(served.content.decode()), normalized(fresh.content.decode())
        if got != want:
            diff = "\n".join(
                difflib.unified_diff(want.splitlines(), got.splitlines(), "fresh", "served", n=2)
            )
            raise AssertionError(f"{url} at {now}: the cached page differs\n{diff}")
        hits += bool(getattr(served, "from_page_cache", False))
    return hits
