"""
Races: real threads, each on its own database connection, released at the same
instant by a barrier. Only PostgreSQL has the row locks these rely on.

Run with DATABASE_URL=postgres://root@127.0.0.1:5432/test
"""

import uuid
from decimal import Decimal
from functools import partial

import pytest
from django.db.models import Sum

from catalog.models import Listing
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import (
    Message,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from orders.services import (
    AUTHORIZATION_RETRY,
    OrderError,
    authorize_order,
    confirm_shipment,
    place_orders,
    post_message,
)
from payments.gateway import inject_timeouts
from payments.models import Payment, PaymentTransaction, SandboxCharge
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    ListingFactory,
    OrderFactory,
    SellerFactory,
    UserFactory,
)
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_buyers_racing_for_three_units_get_exactly_three_orders():
    """Stock 3, ten buyers of one unit each at the same instant: three orders, no oversell."""
    listing = ListingFactory(title="Desk lamp", stock=3, price=Decimal("25.00"))
    buyers = [UserFactory() for _ in range(10)]

    def checkout(buyer):
        return lambda: place_orders(
            buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )

    outcomes = run_together(*[checkout(buyer) for buyer in buyers])

    placed = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, OrderError)]
    assert (len(placed), len(refused)) == (3, 7), outcomes
    assert Listing.objects.get(pk=listing.pk).stock == 0
    assert Order.objects.count() == 3
    assert OrderLine.objects.aggregate(units=Sum("quantity")) == {"units": 3}
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.UNSHIPPED}
    assert Payment.objects.count() == 3  # the refused checkouts left no payment behind
    assert len(set(Order.objects.values_list("buyer", flat=True))) == 3


def test_a_double_submitted_shipment_ships_and_captures_once():
    """Two submits of "ship everything" at the same instant: one shipment, one capture."""
    seller = SellerFactory()
    notebook = ListingFactory(seller=seller, price=Decimal("12.00"), stock=10)
    pen = ListingFactory(seller=seller, price=Decimal("30.00"), stock=10)
    [order] = place_orders(
        buyer=UserFactory(),
        items={notebook.pk: 2, pen.pk: 1},
        address=ADDRESS,
        card_number=GOOD_CARD,
    )
    everything = {line.pk: line.quantity_open for line in order.lines.all()}

    def submit():
        return confirm_shipment(
            order_id=order.pk,
            quantities=everything,
            carrier="UPS",
            tracking_number="1Z999",
            actor=Actor.seller(seller.user),
        )

    outcomes = run_together(submit, submit)

    shipped = [outcome for outcome in outcomes if isinstance(outcome, Shipment)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, OrderError)]
    assert (len(shipped), len(refused)) == (1, 1), outcomes
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert Shipment.objects.count() == 1
    assert list(order.lines.order_by("pk").values_list("quantity_shipped", flat=True)) == [2, 1]
    assert ShipmentLine.objects.aggregate(units=Sum("quantity")) == {"units": 3}
    captures = PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.CAPTURE)
    assert list(captures.values_list("amount", flat=True)) == [Decimal("54.00")]
    # The capture ran after commit (eager Celery): the money moved once at the gateway.
    assert Payment.objects.get(pk=order.payment_id).amount_captured == Decimal("54.00")
    assert SandboxCharge.objects.get().amount_captured == Decimal("54.00")
    assert order.events.filter(type=OrderEvent.Type.SHIPPED).count() == 1


def test_two_retries_of_a_timed_out_authorization_hold_the_card_once(broker_down):
    """A retry and its redelivered twin run together: one charge, one authorized event."""
    listing = ListingFactory(price=Decimal("20.00"))
    # Keep the retry queued (eager Celery would run it at once): the broker is down, so
    # the outbox row waits for the sweep, and the threads are the retries.
    with inject_timeouts(1):
        [order] = place_orders(
            buyer=UserFactory(), items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )
    assert order.status == OrderStatus.PENDING_PAYMENT
    retry_message = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)
    assert retry_message.status == OutboxMessage.Status.PENDING
    assert retry_message.payload["order_id"] == order.pk

    def retry():
        return authorize_order(order_id=order.pk)

    outcomes = run_together(retry, retry)

    assert all(isinstance(outcome, Order) for outcome in outcomes), outcomes
    assert Order.objects.get(pk=order.pk).status == OrderStatus.UNSHIPPED
    assert SandboxCharge.objects.count() == 1
    authorizations = PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.AUTHORIZE)
    assert authorizations.count() == 1
    assert Payment.objects.get(pk=order.payment_id).amount_authorized == Decimal("20.00")
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_AUTHORIZED).count() == 1


def test_two_submissions_of_one_checkout_at_once_place_one_order():
    """
    Given one checkout page, when it is submitted twice at the same instant (a
    double-click), then one order is placed, both answers name it, and stock is reserved
    once: the second waits on the unique checkout token, then finds the first's order.
    """
    listing = ListingFactory(stock=5, price=Decimal("7.00"))
    buyer = UserFactory()
    token = uuid.uuid4()

    def submit():
        return place_orders(
            buyer=buyer,
            items={listing.pk: 2},
            address=ADDRESS,
            card_number=GOOD_CARD,
            checkout_token=token,
        )

    outcomes = run_together(submit, submit)

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    order = Order.objects.get(buyer=buyer)
    assert [[o.pk for o in outcome] for outcome in outcomes] == [[order.pk], [order.pk]]
    assert Listing.objects.get(pk=listing.pk).stock == 3
    assert SandboxCharge.objects.count() == 1


def test_a_buyer_and_the_seller_writing_at_once_leave_the_wait_as_the_messages_say():
    """
    The buyer and the seller post at the same instant, five times over: whoever wrote
    last, the order's "buyer waiting since" agrees with its messages (each post reads
    them under the order's lock, so neither overwrites the other's with a stale view).
    """
    order = OrderFactory()
    buyer, seller = Actor.buyer(order.buyer), Actor.seller(order.seller.user)

    for round_ in range(5):
        run_together(
            partial(post_message, order_id=order.pk, body=f"Buyer {round_}", actor=buyer),
            partial(post_message, order_id=order.pk, body=f"Seller {round_}", actor=seller),
        )
        last = Message.objects.filter(order=order).order_by("created_at", "pk").last()
        since = Order.objects.get(pk=order.pk).buyer_waiting_since
        assert since == (last.created_at if last.author_role == "buyer" else None), round_

    assert Message.objects.filter(order=order).count() == 10
