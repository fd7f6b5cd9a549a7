from datetime import timedelta

import pytest

from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import mark_delivered
from tests.factories import SellerFactory, UserFactory, shipped_order


@pytest.fixture
def buyer():
    return UserFactory(username="bea")


@pytest.fixture
def seller():
    return SellerFactory(
        user=UserFactory(username="sam"),
        store_name="Sam's",
        return_line1="1 Return Road",
        return_city="Springfield",
        return_postcode="12345",
    )


@pytest.fixture
def delivered(buyer, seller, django_capture_on_commit_callbacks):
    """``delivered(quantity=2, days_ago=0, **listing)``: a delivered order, paid and captured."""

    def make(*, quantity=2, days_ago=0, **listing_fields):
        with django_capture_on_commit_callbacks(execute=True):
            order = shipped_order(buyer=buyer, seller=seller, quantity=quantity, **listing_fields)
            mark_delivered(order_id=order.pk, actor=Actor.system())
        if days_ago:
            back_date(order, days=days_ago)
        return Order.objects.get(pk=order.pk)

    return make


def back_date(order, **delta):
    """As if the order had been delivered ``delta`` earlier."""
    delivery = order.events.get(type=OrderEvent.Type.DELIVERED)
    OrderEvent.objects.filter(pk=delivery.pk).update(
        created_at=delivery.created_at - timedelta(**delta)
    )
