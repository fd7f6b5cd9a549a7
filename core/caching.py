"""
The cache as an optimisation only: a cache that is down, hung or full is a miss and a
skipped write, logged, never an error on a page (the fragments, the page cache, the
counts).
"""

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)
MISSING = object()  # what ``get`` answers when the cache did not answer at all


def get(key: str) -> Any:
    """The cached value, None for none, ``MISSING`` when the cache did not answer."""
    try:
        return cache.get(key)
    except Exception as error:  # the cache only saves work: any failure is a miss
        logger.warning("cache unavailable, working afresh: %r", error)
        return MISSING


def set(key: str, value: Any) -> None:
    try:
        cache.set(key, value)
    except Exception as error:
        logger.warning("cache unavailable, not storing: %r", error)
