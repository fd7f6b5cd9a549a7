"""
Seller Central's acts under real concurrency (PostgreSQL, one connection per thread,
released together): exactly one outcome each time, a clear refusal for the loser, and
money, stock and audit rows that balance. Commits are real, so the outbox delivers.
"""

import uuid
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.rules import BuyerMode
from cancellations.services.cancel import cancel_items
from cancellations.services.common import CancellationError
from cancellations.services.requests import approve_request, request_cancellation, withdraw_request
from cancellations.services.seller import bulk_cancel_orders, cancel_as_seller
from catalog.models import Listing
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import OrderError, confirm_shipment, place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory
from tests.threads import run_together

from .test_race import assert_money_settled

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PRICE = Decimal("12.50")


def place(buyer, listing, quantity=2):
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=GOOD_CARD
    )
    return order


def requested(buyer, seller):
    """An order of 2 units, placed 2 hours ago, whose buyer asked to cancel both."""
    listing = ListingFactory(seller=seller, stock=10, price=PRICE)
    order = place(buyer, listing)
    # Past the buyer's 30 minutes: cancelling now asks the seller.
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
    cancellation_request = request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 2},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    return order, listing, cancellation_request


def test_buyer_withdraws_while_the_seller_approves(buyer, seller):
    """Withdrawn and nothing cancelled, or approved and cancelled: never both, never neither."""
    winners = set()
    for _ in range(6):
        order, listing, cancellation_request = requested(buyer, seller)

        approved, withdrawn = run_together(
            partial(
                approve_request, request_id=cancellation_request.pk, actor=Actor.seller(seller.user)
            ),
            partial(withdraw_request, request_id=cancellation_request.pk, actor=Actor.buyer(buyer)),
        )

        cancellation_request.refresh_from_db()
        order.refresh_from_db()
        assert isinstance(approved, Cancellation | CancellationError), approved
        assert isinstance(withdrawn, CancellationRequest | CancellationError), withdrawn
        assert isinstance(approved, Exception) != isinstance(withdrawn, Exception)
        stock = Listing.objects.get(pk=listing.pk).stock
        if isinstance(approved, Cancellation):
            winners.add("approve")
            assert cancellation_request.status == CancellationRequest.Status.APPROVED
            assert order.status == OrderStatus.CANCELLED
            assert stock == 10
            assert order.payment.transactions.get(kind="void").amount == 2 * PRICE
            assert "no longer pending" in str(withdrawn)
        else:
            winners.add("withdraw")
            assert cancellation_request.status == CancellationRequest.Status.WITHDRAWN
            assert order.status == OrderStatus.UNSHIPPED
            assert stock == 8
            assert not Cancellation.objects.filter(order=order).exists()
            assert "already answered: withdrawn" in str(approved)
        assert_money_settled(order.payment)
    assert winners


def test_seller_and_buyer_cancel_the_same_units_at_once(buyer, seller):
    """A fresh order: the buyer's direct cancel and the seller's cancel race; one cancels."""
    for _ in range(6):
        listing = ListingFactory(seller=seller, stock=10, price=PRICE)
        order = place(buyer, listing)
        line = order.lines.get()

        by_seller, by_buyer = run_together(
            partial(
                cancel_as_seller,
                order_id=order.pk,
                quantities={line.pk: 2},
                reason=Reason.CUSTOMER_EXCHANGE,
                actor=Actor.seller(seller.user),
            ),
            partial(
                cancel_items,
                order_id=order.pk,
                quantities={line.pk: 2},
                reason=Reason.CREATED_BY_MISTAKE,
                actor=Actor.buyer(buyer),
                idempotency_key=uuid.uuid4().hex,
                expected_mode=BuyerMode.DIRECT,
            ),
        )

        outcomes = [by_seller, by_buyer]
        assert sum(isinstance(o, Cancellation) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, CancellationError) for o in outcomes) == 1, outcomes
        line.refresh_from_db()
        order.refresh_from_db()
        assert line.quantity_cancelled == 2
        assert order.status == OrderStatus.CANCELLED
        assert Listing.objects.get(pk=listing.pk).stock == 10  # restocked once
        assert Cancellation.objects.filter(order=order).count() == 1
        assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 1
        assert_money_settled(order.payment)
        assert order.payment.amount_voided == 2 * PRICE


def test_seller_ships_in_one_tab_while_cancelling_in_another(buyer, seller):
    for round_ in range(6):
        listing = ListingFactory(seller=seller, stock=10, price=PRICE)
        order = place(buyer, listing)
        line = order.lines.get()

        cancelled, shipped = run_together(
            partial(
                cancel_as_seller,
                order_id=order.pk,
                reason=Reason.NO_INVENTORY,
                actor=Actor.seller(seller.user),
            ),
            partial(
                confirm_shipment,
                order_id=order.pk,
                quantities={line.pk: 2},
                carrier="UPS",
                tracking_number=f"1Z{round_}",
                actor=Actor.seller(seller.user),
            ),
        )

        assert isinstance(cancelled, Cancellation | CancellationError), cancelled
        assert isinstance(shipped, OrderError) or not isinstance(shipped, Exception), shipped
        assert isinstance(cancelled, Exception) != isinstance(shipped, Exception)
        line.refresh_from_db()
        order.refresh_from_db()
        stock = Listing.objects.get(pk=listing.pk).stock
        if isinstance(cancelled, Cancellation):
            assert (line.quantity_cancelled, line.quantity_shipped, stock) == (2, 0, 0)
            assert order.status == OrderStatus.CANCELLED
        else:
            assert (line.quantity_cancelled, line.quantity_shipped, stock) == (0, 2, 8)
            assert order.status == OrderStatus.SHIPPED
        assert_money_settled(order.payment)


def test_ten_bulk_cancels_over_overlapping_orders_cancel_each_order_once(buyer, seller):
    """Ten sellers' tabs each bulk-cancel 3 of 6 orders: each order is cancelled exactly once."""
    listing = ListingFactory(seller=seller, stock=100, price=PRICE)
    orders = [place(buyer, listing) for _ in range(6)]
    # What each tab's review showed: every order with all its units left to cancel.
    shown = {
        order.pk: {line.pk: line.quantity_open for line in order.lines.all()} for order in orders
    }
    ids = list(shown)
    batches = [[ids[i % 6], ids[(i + 1) % 6], ids[(i + 3) % 6]] for i in range(10)]

    results = run_together(
        *(
            partial(
                bulk_cancel_orders,
                reviewed={order_id: shown[order_id] for order_id in batch},
                reason=Reason.CUSTOMER_EXCHANGE,
                note="",
                actor=Actor.seller(seller.user),
            )
            for batch in batches
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = [outcome for result in results for outcome in result]
    for order in orders:
        mine = [o for o in outcomes if o.order_id == order.pk]
        assert sum(o.cancelled for o in mine) == 1, mine
        assert all(
            "changed after you reviewed it: you cancelled items on another page" in o.message
            for o in mine
            if not o.cancelled
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert Cancellation.objects.filter(order=order).count() == 1
        assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).count() == 1
        assert_money_settled(order.payment)
        assert order.payment.amount_voided == 2 * PRICE
    assert Listing.objects.get(pk=listing.pk).stock == 100
