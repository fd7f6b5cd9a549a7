"""
Whole pages, cached under everything they show (docs/DESIGN.md §13).

A page's entry is keyed by the code's version, the viewer and what every page's frame
shows of them (``settings.PAGE_CACHE_VIEWER_FACTS``), the address, the display time zone,
the facts the view names (a count from its own cache) and the **versions of every row the
page shows** (``core.rowversions``: one query), so any change to any of those rows (a
money row the outbox settles, a message, a return) makes a new key, with no
``updated_at`` to keep right and nothing to delete by hand.

What differs between two requests for the same rows is filled in on the way out:

- the CSRF token and the CSP nonce (both per request);
- relative times and "Today, 7:05 PM" (``core.formatting``'s live values, written as
  markers while a page renders for the cache and filled with the time of each request).

What time alone changes (a cancel window closing, an order becoming late) is named by the
page as its deadlines (``expires``): an entry is served only before the first of them.

A page is not cached when it shows a one-time message (``django.contrib.messages``), when
rendering it changed the session, or when it is not a 200; it is then simply rendered.
The cache only saves work: a cache that is down costs a fresh render, never an error.
Only PostgreSQL keeps row versions; on another database every page is rendered.
"""

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.module_loading import import_string

from core import caching, formatting
from core.fragments import code_version

logger = logging.getLogger(__name__)

CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')
CSRF_MARK = "\ue000csrf\ue001"
NONCE_MARK = "\ue000nonce\ue001"


@dataclass
class Rendering:
    """What a page rendering for the cache collects: the instants its facts change."""

    deadlines: list[datetime] = field(default_factory=list)


_rendering: ContextVar[Rendering | None] = ContextVar("page_rendering", default=None)


def expires(*moments: datetime | None) -> None:
    """
    The page being rendered shows facts that change at these instants by time alone (a
    window closes, an order turns late): its cached copy is served only until the first
    one still ahead. Outside a cached rendering it does nothing.
    """
    rendering = _rendering.get()
    if rendering is not None:
        rendering.deadlines.extend(moment for moment in moments if moment is not None)


def for_the_cache() -> bool:
    """Whether a page is being rendered for the cache (a deadline that costs a query)."""
    return _rendering.get() is not None


# --- The entry and what is filled per request --------------------------------------------
@dataclass(frozen=True)
class Entry:
    body: str  # with the per-request parts as markers
    content_type: str
    valid_until: datetime | None


def _stash(body: str, request: HttpRequest) -> str:
    """The rendered body with this request's CSRF token and CSP nonce as markers."""
    body = CSRF_FIELD.sub(rf"\g<1>{CSRF_MARK}\g<2>", body)
    nonce = get_nonce(request)
    if nonce:  # generated: the page used it
        body = body.replace(str(nonce), NONCE_MARK)
    return body


def _fill(body: str, request: HttpRequest, now: datetime) -> str:
    if CSRF_MARK in body:
        body = body.replace(CSRF_MARK, get_token(request))
    if NONCE_MARK in body:
        body = body.replace(NONCE_MARK, str(get_nonce(request)))
    return formatting.fill_live(body, now)


def _respond(entry: Entry, request: HttpRequest, now: datetime) -> HttpResponse:
    response = HttpResponse(_fill(entry.body, request, now), content_type=entry.content_type)
    response.from_page_cache = True  # type: ignore[attr-defined]  # for tests and benchmarks
    return response


def page_key(name: str, request: HttpRequest, digest: str, facts: Iterable[Any]) -> str:
    viewer = import_string(settings.PAGE_CACHE_VIEWER_FACTS)(request)
    parts = (
        code_version(),
        timezone.get_current_timezone_name(),
        request.user.pk,
        *viewer,
        request.get_full_path(),
        digest,
        *facts,
    )
    text = "\x1f".join(str(part) for part in parts)
    return f"page:{name}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE
        and request.method == "GET"
        and request.user.is_authenticated
        # A one-time message shows once: that page is rendered, not stored nor served.
        and not len(messages.get_messages(request))
    )


def serve(
    request: HttpRequest,
    *,
    name: str,
    render: Callable[[], HttpResponse],
    versions: Callable[[], str | None],
    facts: Iterable[Any] = (),
) -> HttpResponse:
    """
    Page ``name`` from the cache when the rows it shows are as they were and no deadline
    has passed; else ``render()``'s response, stored for the next request. ``versions()``
    reads the rows' versions (``core.rowversions.Rows``: one short query) and must cover
    every row the page shows, scoped to the viewer (rows of someone else's are simply not
    found: ``render`` then answers, a 404 say); ``facts`` adds what is not a row (a count
    from its own cache). None from ``versions()`` (SQLite) renders the page.
    """
    if not _cacheable_request(request):
        return render()
    digest = versions()
    if digest is None:
        return render()
    key = page_key(name, request, digest, facts)
    now = timezone.now()
    entry = caching.get(key)
    if isinstance(entry, Entry) and (entry.valid_until is None or now < entry.valid_until):
        return _respond(entry, request, now)
    return _render_and_store(request, key, render, store=entry is not caching.MISSING)


def _render_and_store(
    request: HttpRequest, key: str, render: Callable[[], HttpResponse], *, store: bool
) -> HttpResponse:
    rendering = Rendering()
    token = _rendering.set(rendering)
    live = formatting.live_values()
    try:
        response = render()
        if hasattr(response, "render"):
            response.render()
    finally:
        formatting.stop_live_values(live)
        _rendering.reset(token)
    now = timezone.now()
    ahead = [moment for moment in rendering.deadlines if moment > now]
    entry = Entry(
        body=_stash(response.content.decode(), request),
        content_type=response["Content-Type"],
        valid_until=min(ahead, default=None),
    )
    response.content = _fill(entry.body, request, now)
    session = getattr(request, "session", None)
    if store and response.status_code == 200 and not (session and session.modified):
        caching.set(key, entry)
    return response
