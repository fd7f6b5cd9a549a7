"""Row versions (core.rowversions): what they cover, and roots that would freeze the clock."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.rowversions import Rows, owned_paths
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

BY_BUYER = Rows(
    lambda buyer_id, number: Order.objects.filter(buyer_id=buyer_id, number=number),
    paths=["seller", "lines__listing"],
)
BY_ID = Rows(model=Order, paths=["seller"])


def test_an_orders_own_rows_are_found_from_the_models():
    paths = {"__".join(path) for path in owned_paths(Order, 2)}

    # Its lines, events, shipments, messages, cancellations, requests, returns, cases,
    # and theirs: rows that land in a later app are covered without naming them.
    assert {"lines", "events", "messages", "cancellations", "lines__shipment_lines"} <= paths
    assert any(path.startswith("disputes") for path in paths)


def test_a_change_to_any_row_a_page_shows_changes_the_versions():
    order = OrderFactory()
    before = BY_BUYER.versions(order.buyer_id, order.number)

    line = order.lines.get()
    line.listing.title = "Renamed"
    line.listing.save()

    assert BY_BUYER.versions(order.buyer_id, order.number) != before
    assert BY_ID.versions_of([order.pk]) == BY_ID.versions_of([order.pk])


def test_someone_elses_order_has_no_rows():
    order = OrderFactory()

    theirs = BY_BUYER.versions(order.buyer_id, order.number)
    nobodys = BY_BUYER.versions(order.buyer_id + 1000, order.number)

    assert order.number not in nobodys and str(order.pk) in theirs
    assert set(nobodys) <= {"|"}


def test_roots_that_read_the_clock_are_refused():
    """A root query with the time in it would be compiled once with that time frozen."""
    recent = Rows(
        lambda buyer_id: Order.objects.filter(
            buyer_id=buyer_id, placed_at__gte=timezone.now() - timedelta(days=1)
        )
    )

    with pytest.raises(ImproperlyConfigured, match="more than their arguments"):
        recent.versions(1)
