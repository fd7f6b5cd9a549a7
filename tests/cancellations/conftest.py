from datetime import timedelta

import pytest

from orders.actors import Actor
from orders.models import Order
from orders.services import confirm_shipment, place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory


@pytest.fixture
def buyer():
    return UserFactory(username="bea")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam"), store_name="Sam's")


@pytest.fixture
def place(buyer, seller, django_capture_on_commit_callbacks):
    """Place an order through checkout: ``place({listing: qty}, card=...)``."""

    def place_order(items=None, *, card=GOOD_CARD, who=None):
        if items is None:
            items = {ListingFactory(seller=seller, stock=10, price="12.50"): 2}
        with django_capture_on_commit_callbacks(execute=True):
            (order,) = place_orders(
                buyer=who or buyer,
                items={listing.pk: qty for listing, qty in items.items()},
                address=ADDRESS,
                card_number=card,
            )
        return order

    return place_order


def age(order, **delta):
    """Move an order back in time (placed and ship-by alike), as if it were older."""
    Order.objects.filter(pk=order.pk).update(
        placed_at=order.placed_at - timedelta(**delta), ship_by=order.ship_by - timedelta(**delta)
    )
    order.refresh_from_db()
    return order


def ship(order, seller, quantities):
    """The seller ships ``quantities`` (line id → units) of the order."""
    return confirm_shipment(
        order_id=order.pk,
        quantities=quantities,
        carrier="UPS",
        tracking_number="1Z999",
        actor=Actor.seller(seller.user),
    )
