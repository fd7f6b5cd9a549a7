"""The return models' companions in the database: the timeline index of return events."""

import importlib

import pytest
from django.db import connection

from returns.models import ReturnEvent

pytestmark = pytest.mark.django_db

migration = importlib.import_module("returns.migrations.0002_orderevent_return_index")


def test_the_return_event_index_covers_every_return_event_type():
    """A new ReturnEvent needs a new migration of the partial index, or Seller Central's
    version query walks the whole timeline again for it."""
    assert sorted(migration.RETURN_EVENT_TYPES) == sorted(ReturnEvent.values)


def test_the_return_event_index_exists():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "orders_orderevent")
    assert "orderevent_return_idx" in indexes
