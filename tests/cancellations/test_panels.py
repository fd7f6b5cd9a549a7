"""The cancellation panels on the order pages read a fixed number of rows, however many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cancellations.models import Reason
from cancellations.services.cancel import cancel_items
from cancellations.services.requests import request_cancellation
from orders.actors import Actor
from tests.factories import ListingFactory

from .conftest import age

pytestmark = pytest.mark.django_db


def order_with_history(place, buyer, seller, cancellations: int):
    """An order with ``cancellations`` one-unit cancellations and a pending request."""
    listings = {ListingFactory(seller=seller, stock=20): cancellations + 2}
    order = place(listings)
    line = order.lines.get()
    for _ in range(cancellations):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.PRICING_ERROR,
            actor=Actor.seller(seller.user),
        )
    age(order, hours=2)
    request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.OTHER,
        note="n",
        actor=Actor.buyer(buyer),
    )
    return order


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_buyer_order_page_query_count_does_not_grow_with_cancellations(
    client, place, buyer, seller, page_cache_off
):
    few = order_with_history(place, buyer, seller, cancellations=1)
    many = order_with_history(place, buyer, seller, cancellations=5)
    client.force_login(buyer)
    body = client.get(many.get_absolute_url()).content.decode()
    assert body.count("— Pricing error (seller)") == 5  # one line per cancellation
    assert "Cancellation request pending" in body
    assert page_queries(client, few.get_absolute_url()) == page_queries(
        client, many.get_absolute_url()
    )


def test_seller_order_page_query_count_does_not_grow_with_cancellations(
    client, place, buyer, seller
):
    few = order_with_history(place, buyer, seller, cancellations=1)
    many = order_with_history(place, buyer, seller, cancellations=5)
    client.force_login(seller.user)
    body = client.get(many.get_seller_url()).content.decode()
    assert body.count("counts toward your cancellation rate") == 5
    assert "Cancellation requested" in body
    assert page_queries(client, few.get_seller_url()) == page_queries(client, many.get_seller_url())


def test_each_cancellation_on_the_buyer_panel_says_what_became_of_its_own_money(
    client, place, buyer, seller, django_capture_on_commit_callbacks
):
    """One release has run, the other waits in the outbox: each line reads its own rows."""
    pen = ListingFactory(seller=seller, stock=5, price="10.00")
    ink = ListingFactory(seller=seller, stock=5, price="7.00")
    order = place({pen: 2, ink: 2})
    lines = {line.listing_id: line for line in order.lines.all()}

    def cancel(listing):
        cancel_items(
            order_id=order.pk,
            quantities={lines[listing.pk].pk: 1},
            reason=Reason.PRICING_ERROR,
            actor=Actor.seller(seller.user),
        )

    with django_capture_on_commit_callbacks(execute=True):
        cancel(pen)
    cancel(ink)  # its void is queued, not yet sent
    client.force_login(buyer)

    body = " ".join(client.get(order.get_absolute_url()).content.decode().split())

    assert "$10.00 returned." in body
    assert "$7.00 being returned." in body
    assert "$10.00 being returned." not in body
    assert "$7.00 returned." not in body
