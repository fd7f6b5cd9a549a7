"""
Rendered page fragments, cached under everything they show (docs/DESIGN.md §13).

A fragment's key names its template and the facts it depends on: the code's version,
the rows' versions (an order's ``updated_at``, say; the account health adds messages,
listings and cases), the display time zone, and every time-dependent fact as the value
it has now ("late", "today", the health's five-minute slot). Anything else a page shows
(a countdown, a nav badge) stays outside the fragment. A change makes a new key, so
nothing is ever deleted by hand and a page never shows a stale fact; old keys simply
expire (settings ``CACHES``).

Fragments are rendered without the request: no context processor, no user, no CSRF
token can end up in one (forms and per-user parts stay in the page around them).
The cache only saves work: a Redis that is down or hung costs the page its fragments
(rendered afresh), never an error.
"""

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core import formatting

logger = logging.getLogger(__name__)

# This process's start: the code's version when no release names it.
PROCESS_START = f"{os.getpid()}.{time.time_ns()}"


def code_version() -> str:
    """
    The code that renders the fragments: the release (settings ``RELEASE``, e.g. the git
    commit) or, without one, this process's start. A deploy that changes a template
    never serves the old HTML.
    """
    return settings.RELEASE or PROCESS_START


def fragment_key(name: str, *facts: Any) -> str:
    """The key of fragment ``name`` showing ``facts`` (hashed: any text is a valid key)."""
    facts = (code_version(), timezone.get_current_timezone_name(), *facts)
    text = "\x1f".join(str(fact) for fact in facts)
    return f"fragment:{name}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def _get_many(keys: list[str]) -> dict[str, str] | None:
    """The cached fragments among ``keys``; None when the cache did not answer."""
    try:
        return cache.get_many(keys)
    except Exception as error:  # the cache is an optimisation: any failure is a miss
        logger.warning("fragment cache unavailable, rendering afresh: %r", error)
        return None


def _set_many(fragments: dict[str, SafeString]) -> None:
    try:
        cache.set_many(fragments)
    except Exception as error:
        logger.warning("fragment cache unavailable, not storing: %r", error)


def render_each(
    items: Sequence[Any],
    *,
    template: str,
    name: str,
    facts: Callable[[Any], Iterable[Any]],
    context: Callable[[Any], dict[str, Any]],
    prepare: Callable[[list[Any]], None] | None = None,
) -> list[SafeString]:
    """
    ``template`` rendered for each item, in order: the cached ones fetched in one round
    trip, the others rendered with ``context(item)`` and stored in one more. ``facts``
    gives everything an item's fragment shows that may change (see the module's doc);
    ``prepare(missing)`` fetches what only rendering needs (their lines, say), for the
    items not in the cache only.
    """
    # A fragment holds its facts as written now (in its key too), never a page cache's
    # markers (core.pagecache): a page that embeds a time-dependent fragment names the
    # instant it changes as one of the page's deadlines.
    live = formatting.live_values(on=False)
    try:
        return _render_each(items, template, name, facts, context, prepare)
    finally:
        formatting.stop_live_values(live)


def _render_each(
    items: Sequence[Any],
    template: str,
    name: str,
    facts: Callable[[Any], Iterable[Any]],
    context: Callable[[Any], dict[str, Any]],
    prepare: Callable[[list[Any]], None] | None,
) -> list[SafeString]:
    keys = [fragment_key(name, *facts(item)) for item in items]
    cached = _get_many(keys)
    answered = cached is not None  # a cache that is down is not asked twice per page
    cached = cached or {}
    missing = [(item, key) for item, key in zip(items, keys, strict=True) if key not in cached]
    if missing and prepare is not None:
        prepare([item for item, _key in missing])
    fresh = {key: render_to_string(template, context(item)) for item, key in missing}
    if fresh and answered:
        _set_many(fresh)
    return [mark_safe(cached[key] if key in cached else fresh[key]) for key in keys]  # noqa: S308


def render_one(
    *, template: str, name: str, facts: Iterable[Any], context: Callable[[], dict[str, Any]]
) -> SafeString:
    """One fragment, as ``render_each`` renders each (``context`` is called on a miss only)."""
    facts = tuple(facts)
    return render_each(
        [None], template=template, name=name, facts=lambda _: facts, context=lambda _: context()
    )[0]
