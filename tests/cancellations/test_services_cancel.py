"""cancel_items (cancellations/services/cancel.py): the rules and their effects."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services.cancel import cancel_items
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.requests import request_cancellation
from catalog.models import Listing
from orders.actors import Actor
from orders.events import Reader, render
from orders.models import OrderEvent, OrderStatus
from orders.services import start_preparing
from payments.models import PaymentTransaction
from tests.factories import (
    DECLINED_CARD,
    ListingFactory,
    OrderFactory,
    SellerFactory,
    UserFactory,
)

from .conftest import age, ship

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


def test_buyer_cancels_part_of_a_fresh_order_directly(
    place, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    """Within 30 minutes: units cancelled, restocked, hold released, both sides emailed."""
    order = place()
    line = order.lines.get()
    stock_before = Listing.objects.get(pk=line.listing_id).stock
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancellation = cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )

    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity_cancelled == 1
    assert order.status == OrderStatus.UNSHIPPED  # one unit is still coming
    assert Listing.objects.get(pk=line.listing_id).stock == stock_before + 1
    assert cancellation.refund_amount == Decimal("12.50")
    assert cancellation.counts_against_seller is False
    void = order.payment.transactions.get(kind=PaymentTransaction.Kind.VOID)
    assert (void.amount, void.status) == (Decimal("12.50"), "succeeded")
    assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["bea@example.com", "sam@example.com"]


def test_cancelling_everything_cancels_the_order(place, buyer, django_capture_on_commit_callbacks):
    order = place()
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 2},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.amount_voided == Decimal("25.00")
    assert order.payment.amount_open == 0


def test_cancelling_the_last_open_units_after_a_partial_shipment_ships_the_order(
    place, buyer, seller, django_capture_on_commit_callbacks
):
    """Rest shipped, rest cancelled: the order is shipped, not cancelled."""
    order = place()
    line = order.lines.get()
    ship(order, seller, {line.pk: 1})
    age(order, days=10)  # late: the buyer may cancel the unshipped unit directly
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.WOULD_NOT_ARRIVE_ON_TIME,
        actor=Actor.buyer(buyer),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_checkout_capture_mode_refunds_instead_of_voiding(
    settings, place, buyer, django_capture_on_commit_callbacks
):
    settings.PAYMENT_CAPTURE = "checkout"
    order = place()
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    order.payment.refresh_from_db()
    assert order.payment.amount_refunded == Decimal("12.50")
    assert order.payment.amount_refunded <= order.payment.amount_captured


def test_after_thirty_minutes_the_buyer_must_ask(place, buyer):
    order = age(place(), minutes=31)
    line = order.lines.get()
    with pytest.raises(CancellationError, match="no longer be cancelled directly"):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    line.refresh_from_db()
    assert line.quantity_cancelled == 0
    assert not Cancellation.objects.exists()


def test_a_preparing_order_needs_a_request_even_within_thirty_minutes(place, buyer, seller):
    order = place()
    start_preparing(order_id=order.pk, actor=Actor.seller(seller.user))
    line = order.lines.get()
    with pytest.raises(CancellationError):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )


def test_a_declined_order_may_be_cancelled_at_any_time_and_releases_nothing(place, buyer):
    order = age(place(card=DECLINED_CARD), days=2)
    assert order.status == OrderStatus.PAYMENT_FAILED
    line = order.lines.get()
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 2},
        reason=Reason.CHANGE_PAYMENT_METHOD,
        actor=Actor.buyer(buyer),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert not order.payment.transactions.exclude(kind="authorize").exists()


def test_a_late_order_may_be_cancelled_directly_at_no_cost(place, buyer, seller):
    order = place()
    start_preparing(order_id=order.pk, actor=Actor.seller(seller.user))
    order = age(order, days=5)
    line = order.lines.get()
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 2},
        reason=Reason.WOULD_NOT_ARRIVE_ON_TIME,
        actor=Actor.buyer(buyer),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("quantities", "reason", "note", "message"),
    [
        ({}, Reason.CREATED_BY_MISTAKE, "", "at least one item"),
        ("line:0", Reason.CREATED_BY_MISTAKE, "", "at least one item"),
        ("line:3", Reason.CREATED_BY_MISTAKE, "", "at most 2"),
        ("line:-1", Reason.CREATED_BY_MISTAKE, "", "at most 2"),
        ("line:100000000000000000000", Reason.CREATED_BY_MISTAKE, "", "at most 2"),
        ("foreign:1", Reason.CREATED_BY_MISTAKE, "", "not part of this order"),
        ("line:1", "", "", "reason"),
        ("line:1", "bogus", "", "reason"),
        ("line:1", Reason.NO_INVENTORY, "", "reason"),  # a seller's reason
        ("line:1", Reason.OTHER, "  ", "Other"),
        ("line:1", Reason.OTHER, "x" * 501, "at most 500"),
        ("line:1", Reason.OTHER, "nul\x00byte", "cannot be saved"),
    ],
)
def test_bad_input_changes_nothing(place, buyer, quantities, reason, note, message):
    order = place()
    line = order.lines.get()
    other_line = place().lines.get()
    if isinstance(quantities, str):
        which, qty = quantities.split(":")
        quantities = {(line if which == "line" else other_line).pk: int(qty)}
    with pytest.raises(CancellationError, match=message):
        cancel_items(
            order_id=order.pk,
            quantities=quantities,
            reason=reason,
            note=note,
            actor=Actor.buyer(buyer),
        )
    line.refresh_from_db()
    assert line.quantity_cancelled == 0
    assert not Cancellation.objects.exists()
    assert not order.payment.transactions.exclude(kind="authorize").exists()


def test_shipped_units_cannot_be_cancelled(place, buyer, seller):
    order = place()
    line = order.lines.get()
    ship(order, seller, {line.pk: 2})
    with pytest.raises(CancellationError, match="already shipped or been cancelled"):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )


def test_the_same_submission_twice_cancels_once(place, buyer):
    order = place()
    line = order.lines.get()
    kwargs = dict(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
        idempotency_key="a" * 32,
    )
    cancel_items(**kwargs)
    with pytest.raises(AlreadyDone):
        cancel_items(**kwargs)
    line.refresh_from_db()
    assert line.quantity_cancelled == 1
    assert Cancellation.objects.count() == 1


def test_no_inventory_empties_the_shelf_instead_of_restocking(place, seller):
    order = place()
    line = order.lines.get()
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 2},
        reason=Reason.NO_INVENTORY,
        actor=Actor.seller(seller.user),
    )
    assert Listing.objects.get(pk=line.listing_id).stock == 0
    assert Cancellation.objects.get().counts_against_seller is True


def test_a_direct_cancel_of_the_requested_units_closes_the_request(place, buyer):
    """Once the order is late the buyer cancels directly; the pending question is moot."""
    order = age(place(), hours=2)
    line = order.lines.get()
    cancellation_request = request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 2},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    age(order, days=5)
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 2},
        reason=Reason.WOULD_NOT_ARRIVE_ON_TIME,
        actor=Actor.buyer(buyer),
    )
    cancellation_request.refresh_from_db()
    assert cancellation_request.status == CancellationRequest.Status.CLOSED
    # Audited like every answer to a request, in each reader's words.
    (closed,) = order.events.filter(type=OrderEvent.Type.CANCELLATION_REQUEST_CLOSED)
    assert closed.payload["request"] == cancellation_request.pk
    assert closed.summary == (
        "Your cancellation request was closed: the items it asked about were cancelled."
    )
    assert render(closed, Reader.SELLER) == (
        "The buyer's cancellation request was closed: the items it asked about were cancelled."
    )


def test_cancelling_while_payment_is_pending_releases_the_late_authorization(
    buyer, django_capture_on_commit_callbacks
):
    """Cancelled before the card answered: when it does, the hold is released at once."""
    from orders.services import authorize_order, place_orders
    from payments.gateway import inject_timeouts
    from tests.factories import ADDRESS

    listing = ListingFactory(stock=5, price="8.00")
    with inject_timeouts(1):  # the retry task is queued on commit, which never comes here
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number="4242424242424242"
        )
    assert order.status == OrderStatus.PENDING_PAYMENT
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    with django_capture_on_commit_callbacks(execute=True):
        authorize_order(order_id=order.pk)  # the retry: the gateway answers now
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.amount_authorized == Decimal("8.00")
    assert order.payment.amount_open == 0


def test_money_that_cannot_be_released_cancels_nothing(place, buyer, monkeypatch):
    """All or nothing: if the payment refuses the release, no unit is cancelled."""
    from payments import services as payment_services

    order = place()
    line = order.lines.get()
    stock_before = Listing.objects.get(pk=line.listing_id).stock

    def refuse(releases):
        raise payment_services.PaymentError("We could not return this payment.")

    monkeypatch.setattr(payment_services, "schedule_releases", refuse)
    with pytest.raises(CancellationError, match="nothing was cancelled"):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    line.refresh_from_db()
    assert line.quantity_cancelled == 0
    assert Listing.objects.get(pk=line.listing_id).stock == stock_before
    assert not Cancellation.objects.exists()
    assert not order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).exists()


# --- Money: who may cancel, and the order listings are restocked in ------------------------
def test_a_buyer_cannot_cancel_another_buyers_order_through_the_service(
    place, buyer, django_capture_on_commit_callbacks
):
    """
    Given an order of one buyer, when another buyer's actor calls cancel_items on it
    directly (no view in between), then it is refused and nothing changes.
    """
    order = place()
    line = order.lines.get()
    stranger = UserFactory(username="mallory")

    with pytest.raises(CancellationError, match="Only the buyer"):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(stranger),
        )

    line.refresh_from_db()
    assert line.quantity_cancelled == 0
    assert not Cancellation.objects.exists()


def test_a_seller_cannot_cancel_another_sellers_order_through_the_service(place):
    """
    Given an order of one seller, when another seller's actor calls cancel_items on it,
    then it is refused and nothing changes.
    """
    order = place()
    line = order.lines.get()
    rival = SellerFactory(user=UserFactory(username="rival"))

    with pytest.raises(CancellationError, match="Only the seller"):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.PRICING_ERROR,
            actor=Actor.seller(rival.user),
        )

    line.refresh_from_db()
    assert line.quantity_cancelled == 0
    assert not Cancellation.objects.exists()


def test_the_order_seller_and_the_system_may_still_cancel(place, seller):
    """Given an order, when its own seller and then the system cancel a unit each, both work."""
    order = place()
    line = order.lines.get()

    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.PRICING_ERROR,
        actor=Actor.seller(seller.user),
    )
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.SHIPPING_DELAY,
        actor=Actor.system(),
    )

    line.refresh_from_db()
    assert line.quantity_cancelled == 2


def test_listings_are_restocked_in_listing_id_order(buyer, seller, monkeypatch):
    """
    Given an order whose lines are not in listing-id order, when both are cancelled
    (the form listing them in any order), then the listings are restocked lowest id
    first, the order checkout reserves them in, so no two transactions lock them
    crosswise.
    """
    first, second = ListingFactory(seller=seller), ListingFactory(seller=seller)
    order = OrderFactory(
        buyer=buyer,
        seller=seller,
        total=Decimal("20.00"),
        payment__amount=Decimal("20.00"),
        lines=[(second, 1), (first, 1)],
    )
    line_second, line_first = order.lines.order_by("pk")

    with CaptureQueriesContext(connection) as queries:
        cancel_items(
            order_id=order.pk,
            quantities={line_second.pk: 1, line_first.pk: 1},
            reason=Reason.SHIPPING_DELAY,
            actor=Actor.system(),
        )

    (restock,) = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "catalog_listing"')]
    if connection.vendor == "postgresql":
        # The statement's subquery locks the listings lowest id first, then it writes.
        assert re.search(r"IN \(SELECT .* ORDER BY \"id\" FOR UPDATE\)", restock), restock
    assert Listing.objects.get(pk=first.pk).stock == first.stock + 1
    assert Listing.objects.get(pk=second.pk).stock == second.stock + 1
