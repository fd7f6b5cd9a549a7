"""
Fixtures of the Resolution Center tests: a buyer, a seller, staff with and without
the permission to resolve, and orders placed, shipped and delivered through the real
services (so the payment rows are the ones a real order has).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from cancellations.models import Reason
from cancellations.services import decline_request, request_cancellation
from disputes import services
from disputes.models import Dispute
from orders.actors import Actor
from orders.models import Order
from orders.services import confirm_shipment, mark_delivered, place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory


@pytest.fixture
def buyer():
    return UserFactory(username="bea", first_name="Bea")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam"), store_name="Sam's")


@pytest.fixture
def staff():
    """Marketplace staff who may resolve cases."""
    user = UserFactory(username="stella", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="disputes",
            codename__in=["resolve_dispute", "view_dispute", "view_disputemessage"],
        )
    )
    return user


@pytest.fixture
def clerk():
    """Staff who may look at cases but not resolve them."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="disputes", codename__in=["view_dispute", "view_disputemessage"]
        )
    )
    return user


@pytest.fixture
def place(buyer, seller, django_capture_on_commit_callbacks):
    """Checkout: ``place(price="12.50", quantity=2)``; the card is authorized after commit."""

    def place_order(*, price="12.50", quantity=2, who=None):
        listing = ListingFactory(seller=seller, stock=10, price=Decimal(price))
        with django_capture_on_commit_callbacks(execute=True):
            (order,) = place_orders(
                buyer=who or buyer,
                items={listing.pk: quantity},
                address=ADDRESS,
                card_number=GOOD_CARD,
            )
        return Order.objects.get(pk=order.pk)

    return place_order


@pytest.fixture
def ship(seller, django_capture_on_commit_callbacks):
    """The seller ships ``units`` (all when None) of the order's one line; the money is captured."""

    def ship_order(order, units=None):
        line = order.lines.get()
        with django_capture_on_commit_callbacks(execute=True):
            confirm_shipment(
                order_id=order.pk,
                quantities={line.pk: units or line.quantity_open},
                carrier="UPS",
                tracking_number="1Z999",
                actor=Actor.seller(seller.user),
            )
        return Order.objects.get(pk=order.pk)

    return ship_order


@pytest.fixture
def delivered_order(place, ship):
    """$25.00 charged, delivered, past its arrive-by date."""
    order = ship(place())
    mark_delivered(order_id=order.pk, actor=Actor.system())
    past_due(order)
    return Order.objects.get(pk=order.pk)


def past_due(order):
    """Move the order's arrive-by date into the past."""
    Order.objects.filter(pk=order.pk).update(deliver_by=order.deliver_by - timedelta(days=30))


@pytest.fixture
def declined(buyer, seller):
    """``declined(order)``: the buyer asks to cancel a unit, the seller declines (nothing ships)."""

    def decline(order, units=1):
        # Past the first half hour, when the buyer can no longer cancel directly.
        Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
        asked = request_cancellation(
            order_id=order.pk,
            quantities={order.lines.get().pk: units},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )
        decline_request(request_id=asked.pk, note="Shipping today", actor=Actor.seller(seller.user))
        return Order.objects.get(pk=order.pk)

    return decline


@pytest.fixture
def open_case(delivered_order, buyer, django_capture_on_commit_callbacks):
    """An open "item not as described" case on a $25.00 delivered order."""

    def open_it(order=None, reason=Dispute.Reason.NOT_AS_DESCRIBED) -> Dispute:
        with django_capture_on_commit_callbacks(execute=True):
            return services.open_dispute(
                order_id=(order or delivered_order).pk,
                reason=reason,
                description="The notebook has 80 pages, not 160.",
                actor=Actor.buyer(buyer),
            )

    return open_it


@pytest.fixture
def run_outbox(django_capture_on_commit_callbacks):
    """Call a service and run what it queued (refunds, emails) as the commit would."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run
