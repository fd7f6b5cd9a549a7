"""
Buyer cancellation under real concurrency: threads released together by a barrier,
each on its own PostgreSQL connection, so the row locks in ``cancel_items`` and
``confirm_shipment`` are what keeps the books straight. Commits are real here, so the
outbox delivers after each one: the gateway is called and the emails are sent.
"""

import time
import uuid
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from cancellations.models import Cancellation, CancellationLine, Reason
from cancellations.rules import BuyerMode
from cancellations.services import cancel as cancel_module
from cancellations.services.cancel import cancel_items
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.requests import submit_buyer_cancellation
from catalog.models import Listing
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import OrderError, confirm_shipment, place_orders
from payments.models import Payment, PaymentTransaction
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory
from tests.threads import run_together

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("gateway"),
]

Kind = PaymentTransaction.Kind


def place(buyer, listing, quantity):
    """Checkout for real: the commit runs the outbox, so the card is authorized."""
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=GOOD_CARD
    )
    assert order.status == OrderStatus.UNSHIPPED
    return order


def unexpected(outcomes, *allowed):
    return [o for o in outcomes if not isinstance(o, allowed)]


def assert_money_settled(payment: Payment):
    """Every queued money call ran, and the totals stay inside what was authorized."""
    payment.refresh_from_db()
    assert not payment.transactions.exclude(status=PaymentTransaction.Status.SUCCEEDED).exists()
    assert payment.amount_captured + payment.amount_voided <= payment.amount_authorized
    assert payment.amount_refunded <= payment.amount_captured
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED).exists()


def test_twenty_simultaneous_confirms_of_one_cancellation_cancel_once(buyer, seller, mailoutbox):
    """The same Confirm (one key) twenty times at once cancels, voids, restocks and mails once."""
    # Given a fresh order of 3 units (stock 10 → 7)
    listing = ListingFactory(seller=seller, stock=10, price=Decimal("12.50"))
    order = place(buyer, listing, 3)
    line = order.lines.get()
    mailoutbox.clear()
    key = uuid.uuid4().hex

    # When twenty threads confirm the same cancellation of one unit
    confirm = partial(
        submit_buyer_cancellation,
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        note="",
        actor=Actor.buyer(buyer),
        idempotency_key=key,
        expected_mode=BuyerMode.DIRECT,
    )
    outcomes = run_together(*[confirm] * 20)

    # Then one cancelled and nineteen were told it was already done
    assert unexpected(outcomes, Cancellation, AlreadyDone) == []
    assert sum(isinstance(o, Cancellation) for o in outcomes) == 1
    assert sum(isinstance(o, AlreadyDone) for o in outcomes) == 19
    cancellation = Cancellation.objects.get()
    assert cancellation.idempotency_key == key
    assert list(CancellationLine.objects.values_list("order_line", "quantity")) == [(line.pk, 1)]
    line.refresh_from_db()
    assert (line.quantity_cancelled, line.quantity_shipped) == (1, 0)
    assert Listing.objects.get(pk=listing.pk).stock == 8  # restocked once
    order.refresh_from_db()
    assert order.status == OrderStatus.UNSHIPPED
    assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 1
    # One void of one unit, executed at the gateway after commit
    void = order.payment.transactions.get(kind=Kind.VOID)
    assert (void.amount, void.status) == (Decimal("12.50"), PaymentTransaction.Status.SUCCEEDED)
    assert not order.payment.transactions.filter(kind__in=[Kind.CAPTURE, Kind.REFUND]).exists()
    assert_money_settled(order.payment)
    assert order.payment.amount_voided == Decimal("12.50")
    # One email each to the buyer and the seller
    assert sorted(message.to[0] for message in mail.outbox) == [
        "bea@example.com",
        "sam@example.com",
    ]
    assert all(order.number in message.subject for message in mail.outbox)


def test_twenty_simultaneous_posts_of_the_confirm_form_cancel_once(buyer, seller, mailoutbox):
    """Twenty browsers post the same review at once: one cancels, nineteen 'already submitted'."""
    # Given a fresh order of 3 units and twenty signed-in sessions of its buyer
    listing = ListingFactory(seller=seller, stock=10, price=Decimal("12.50"))
    order = place(buyer, listing, 3)
    line = order.lines.get()
    clients = []
    for _ in range(20):
        client = Client()
        client.force_login(buyer)
        clients.append(client)
    mailoutbox.clear()
    review = {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "2",
        "reason": Reason.FOUND_CHEAPER.value,
        "note": "",
        "mode": BuyerMode.DIRECT.value,
        "idempotency_key": uuid.uuid4().hex,
    }
    url = reverse("cancellations:confirm", args=[order.number])

    # When they all press Confirm together
    responses = run_together(*(partial(client.post, url, review) for client in clients))

    # Then every request is redirected to the order, one with the success message
    assert [r for r in responses if isinstance(r, Exception)] == []
    assert {r.status_code for r in responses} == {302}
    assert {r.url for r in responses} == {order.get_absolute_url()}
    said = [" ".join(str(m) for m in get_messages(r.wsgi_request)) for r in responses]
    assert sum(text.startswith("Cancelled 2 items.") for text in said) == 1
    assert sum("already submitted" in text for text in said) == 19
    # And the database holds exactly one cancellation of two units
    cancellation = Cancellation.objects.get()
    assert cancellation.idempotency_key == review["idempotency_key"]
    line.refresh_from_db()
    assert line.quantity_cancelled == 2
    assert Listing.objects.get(pk=listing.pk).stock == 9
    void = order.payment.transactions.get(kind=Kind.VOID)
    assert void.amount == Decimal("25.00")
    assert_money_settled(order.payment)
    assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 1
    assert sorted(message.to[0] for message in mail.outbox) == [
        "bea@example.com",
        "sam@example.com",
    ]


def test_ten_racing_one_unit_cancels_of_five_units_cancel_exactly_five(buyer, seller):
    """Ten different one-unit cancels of a 5-unit line at once: five succeed, five are refused."""
    # Given an order line of 5 units at $7.25 (stock 12 → 7)
    listing = ListingFactory(seller=seller, stock=12, price=Decimal("7.25"))
    order = place(buyer, listing, 5)
    line = order.lines.get()

    # When ten threads each cancel one unit, each with its own key
    outcomes = run_together(
        *(
            partial(
                submit_buyer_cancellation,
                order_id=order.pk,
                quantities={line.pk: 1},
                reason=Reason.ITEM_PRICE_TOO_HIGH,
                note="",
                actor=Actor.buyer(buyer),
                idempotency_key=uuid.uuid4().hex,
                expected_mode=BuyerMode.DIRECT,
            )
            for _ in range(10)
        )
    )

    # Then exactly five cancelled and five were refused by the rules (not as repeats)
    assert unexpected(outcomes, Cancellation, CancellationError) == []
    assert sum(isinstance(o, Cancellation) for o in outcomes) == 5
    refused = [o for o in outcomes if isinstance(o, CancellationError)]
    assert len(refused) == 5
    assert not any(isinstance(o, AlreadyDone) for o in refused)
    line.refresh_from_db()
    assert (line.quantity_cancelled, line.quantity_shipped) == (5, 0)
    assert Cancellation.objects.filter(order=order).count() == 5
    assert Listing.objects.get(pk=listing.pk).stock == 12  # restored by exactly 5
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    voids = order.payment.transactions.filter(kind=Kind.VOID)
    assert voids.count() == 5
    assert sum(v.amount for v in voids) == 5 * Decimal("7.25")
    assert_money_settled(order.payment)
    assert order.payment.amount_voided == Decimal("36.25")
    assert order.payment.amount_open == 0
    assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 5


@pytest.mark.parametrize("capture", ["shipment", "checkout"])
def test_buyer_cancel_racing_the_sellers_shipment_of_the_same_units(
    buyer, seller, settings, capture
):
    """A direct cancel and a shipment of the same units at once: one wins, the books add up."""
    settings.PAYMENT_CAPTURE = capture
    price = Decimal("12.50")
    winners = set()
    for round_ in range(6):
        # Given a fresh order of 2 units (stock 10 → 8)
        listing = ListingFactory(seller=seller, stock=10, price=price)
        order = place(buyer, listing, 2)
        line = order.lines.get()

        # When the buyer cancels both units while the seller ships both
        cancel = partial(
            cancel_items,
            order_id=order.pk,
            quantities={line.pk: 2},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
            idempotency_key=uuid.uuid4().hex,
            expected_mode=BuyerMode.DIRECT,
        )
        ship = partial(
            confirm_shipment,
            order_id=order.pk,
            quantities={line.pk: 2},
            carrier="UPS",
            tracking_number=f"1Z{round_:06d}",
            actor=Actor.seller(seller.user),
        )
        cancelled, shipped = run_together(cancel, ship)

        # Then exactly one of them happened, and the other was refused by a rule
        assert isinstance(cancelled, Cancellation | CancellationError), cancelled
        assert isinstance(shipped, OrderError) or not isinstance(shipped, Exception), shipped
        assert isinstance(cancelled, Exception) != isinstance(shipped, Exception)
        line.refresh_from_db()
        order.refresh_from_db()
        assert line.quantity_cancelled + line.quantity_shipped <= line.quantity
        assert_money_settled(order.payment)
        payment = order.payment
        stock = Listing.objects.get(pk=listing.pk).stock
        if isinstance(cancelled, Cancellation):
            winners.add("cancel")
            assert (line.quantity_cancelled, line.quantity_shipped) == (2, 0)
            assert order.status == OrderStatus.CANCELLED
            assert stock == 10
            assert not order.shipments.exists()
            if capture == "shipment":
                assert (payment.amount_captured, payment.amount_voided) == (0, 2 * price)
            else:
                assert (payment.amount_captured, payment.amount_refunded) == (2 * price, 2 * price)
        else:
            winners.add("ship")
            assert (line.quantity_cancelled, line.quantity_shipped) == (0, 2)
            assert order.status == OrderStatus.SHIPPED
            assert stock == 8
            assert not Cancellation.objects.filter(order=order).exists()
            assert (payment.amount_captured, payment.amount_voided) == (2 * price, 0)
            assert payment.amount_refunded == 0
    assert winners  # which side wins is up to the scheduler; either way the books add up


def test_two_cancellations_of_the_same_listings_in_crossed_order_do_not_deadlock(
    buyer, seller, monkeypatch
):
    """
    Given two orders of the same two listings, when they are cancelled at the same instant
    with their items named in opposite orders (and each restock is slow), then both
    cancellations go through: listings are restocked in id order, never crosswise.
    """
    pens = ListingFactory(seller=seller, stock=10, price=Decimal("2.00"))
    ink = ListingFactory(seller=seller, stock=10, price=Decimal("3.00"))
    orders = [
        place_orders(
            buyer=buyer, items={pens.pk: 1, ink.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )[0]
        for _ in range(2)
    ]
    real_change_shelves = cancel_module.change_shelves

    def slow_change_shelves(changes):
        real_change_shelves(changes)
        time.sleep(0.3)  # holds the listings' row locks while the other thread moves

    monkeypatch.setattr(cancel_module, "change_shelves", slow_change_shelves)

    def cancel(order, listing_order):
        lines = {line.listing_id: line.pk for line in order.lines.all()}
        return partial(
            cancel_items,
            order_id=order.pk,
            quantities={lines[listing.pk]: 1 for listing in listing_order},
            reason=Reason.PRICING_ERROR,
            actor=Actor.seller(seller.user),
        )

    outcomes = run_together(cancel(orders[0], [pens, ink]), cancel(orders[1], [ink, pens]))

    assert unexpected(outcomes, Cancellation) == []
    assert Listing.objects.get(pk=pens.pk).stock == 10
    assert Listing.objects.get(pk=ink.pk).stock == 10
