"""
Seller Central's writers in cancellations/services/: cancel_as_seller and bulk_cancel_orders
(seller.py), approve_request and decline_request (requests.py), on top of cancel_items.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services.cancel import cancel_items
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.requests import (
    approve_request,
    decline_request,
    request_cancellation,
    withdraw_request,
)
from cancellations.services.seller import bulk_cancel_orders, cancel_as_seller
from catalog.models import Listing
from catalog.services import update_listing
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from payments.models import PaymentTransaction
from tests.factories import ListingFactory, SellerFactory, UserFactory

from .conftest import age, ship

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]

Status = CancellationRequest.Status


@pytest.fixture
def as_seller(seller):
    return Actor.seller(seller.user)


@pytest.fixture
def requested(place, buyer):
    """An order of 2 units (placed 2 hours ago) whose buyer asked to cancel 1 of them."""

    def make(quantity=1):
        order = age(place(), hours=2)
        line = order.lines.get()
        cancellation_request = request_cancellation(
            order_id=order.pk,
            quantities={line.pk: quantity},
            reason=Reason.FOUND_CHEAPER,
            note="Saw it for less",
            actor=Actor.buyer(buyer),
        )
        return order, line, cancellation_request

    return make


def snapshot(order):
    """What a refused act must leave as it was."""
    order.refresh_from_db()
    return (
        order.status,
        list(order.lines.values_list("quantity_cancelled", "quantity_shipped")),
        Cancellation.objects.count(),
        list(CancellationRequest.objects.values_list("pk", "status")),
        list(Listing.objects.order_by("pk").values_list("stock", "is_active")),
        OrderEvent.objects.count(),
    )


# --- cancel_as_seller ---------------------------------------------------------------------
def test_seller_cancels_the_whole_order_with_a_memo(
    place, as_seller, django_capture_on_commit_callbacks, mailoutbox
):
    """Pricing error with a memo: all open units cancelled, restocked, counted, buyer emailed."""
    # Given a fresh order of 2 units (stock 10 → 8)
    order = place()
    line = order.lines.get()
    mailoutbox.clear()

    # When the seller cancels it (no quantities: every open unit)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = cancel_as_seller(
            order_id=order.pk,
            reason=Reason.PRICING_ERROR,
            note="The price should have been $25.",
            actor=as_seller,
        )

    # Then everything open is cancelled, counted, restocked, released, and the buyer told
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert line.quantity_cancelled == 2
    assert (cancellation.initiator, cancellation.reason) == ("seller", "pricing_error")
    assert cancellation.counts_against_seller is True
    assert cancellation.note == "The price should have been $25."
    assert Listing.objects.get(pk=line.listing_id).stock == 10
    assert order.payment.transactions.get(kind=PaymentTransaction.Kind.VOID).amount == Decimal(
        "25.00"
    )
    buyer_mail = next(m for m in mailoutbox if m.to == ["bea@example.com"])
    assert "Note from the seller: The price should have been $25." in buyer_mail.body


@pytest.mark.parametrize("reason", [Reason.GENERAL_ADJUSTMENT, Reason.PRICING_ERROR])
@pytest.mark.parametrize("memo", ["", "   "])
def test_memo_is_required_for_adjustments_and_pricing_errors(place, as_seller, reason, memo):
    """Without a memo the buyer would not know why: refused, nothing changes."""
    order = place()
    before = snapshot(order)

    with pytest.raises(CancellationError, match="memo"):
        cancel_as_seller(order_id=order.pk, reason=reason, note=memo, actor=as_seller)

    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("reason", "note"),
    [
        (Reason.FOUND_CHEAPER, ""),  # a buyer's reason
        (Reason.SHIPPING_DELAY, ""),  # the system's
        ("bogus", ""),
        (Reason.CUSTOMER_EXCHANGE, "x" * 501),
        (Reason.CUSTOMER_EXCHANGE, "nul\x00"),
    ],
)
def test_unknown_reasons_and_bad_memos_are_refused(place, as_seller, reason, note):
    order = place()
    before = snapshot(order)
    with pytest.raises(CancellationError):
        cancel_as_seller(order_id=order.pk, reason=reason, note=note, actor=as_seller)
    assert snapshot(order) == before


def test_another_seller_or_the_buyer_cannot_cancel_as_the_seller(place, buyer):
    order = place()
    before = snapshot(order)
    for actor in (Actor.seller(SellerFactory().user), Actor.seller(buyer), Actor.buyer(buyer)):
        with pytest.raises(CancellationError, match="Only the order's seller"):
            cancel_as_seller(
                order_id=order.pk, reason=Reason.CUSTOMER_EXCHANGE, actor=actor, note="n"
            )
    assert snapshot(order) == before


def test_some_lines_and_quantities(place, seller, as_seller):
    """Cancel items: just the units chosen; the rest of the order goes on."""
    pen, ink = ListingFactory(seller=seller, stock=5), ListingFactory(seller=seller, stock=5)
    order = place({pen: 3, ink: 1})
    pen_line = order.lines.get(listing=pen)

    cancel_as_seller(
        order_id=order.pk,
        quantities={pen_line.pk: 2},
        reason=Reason.ADDRESS_UNDELIVERABLE,
        actor=as_seller,
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.UNSHIPPED
    assert dict(order.lines.values_list("listing", "quantity_cancelled")) == {pen.pk: 2, ink.pk: 0}


def test_nothing_left_to_cancel_is_refused(place, seller, as_seller):
    order = place()
    line = order.lines.get()
    ship(order, seller, {line.pk: 2})
    with pytest.raises(CancellationError, match="Nothing is left to cancel"):
        cancel_as_seller(order_id=order.pk, reason=Reason.CUSTOMER_EXCHANGE, actor=as_seller)


def test_the_same_confirm_twice_cancels_once(place, as_seller):
    order = place()
    line = order.lines.get()
    kwargs = {
        "order_id": order.pk,
        "quantities": {line.pk: 1},
        "reason": Reason.CUSTOMER_EXCHANGE,
        "actor": as_seller,
        "idempotency_key": "a" * 32,
    }
    cancel_as_seller(**kwargs)
    with pytest.raises(AlreadyDone):
        cancel_as_seller(**kwargs)
    assert order.lines.get().quantity_cancelled == 1


# --- A pending buyer request ---------------------------------------------------------------
def test_cancelling_with_a_pending_request_answers_it(requested, as_seller):
    """The reason becomes "Buyer cancelled", the request is approved, nothing is counted."""
    order, line, cancellation_request = requested(quantity=1)

    cancellation = cancel_as_seller(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.NO_INVENTORY,  # whatever the seller picked
        actor=as_seller,
        request_seen=cancellation_request.pk,
    )

    cancellation_request.refresh_from_db()
    assert cancellation.reason == Reason.BUYER_CANCELLED
    assert cancellation.counts_against_seller is False
    assert cancellation.request_id == cancellation_request.pk
    assert cancellation_request.status == Status.APPROVED
    assert Listing.objects.get(pk=line.listing_id).stock == 9  # restocked, not cleared


def test_cancelling_more_than_the_buyer_asked_is_refused(requested, as_seller):
    """A request covers what the buyer asked, not the seller's own cancellation."""
    order, _line, cancellation_request = requested(quantity=1)
    before = snapshot(order)

    with pytest.raises(CancellationError, match="cancel exactly those"):
        cancel_as_seller(
            order_id=order.pk,
            reason=Reason.NO_INVENTORY,
            actor=as_seller,
            request_seen=cancellation_request.pk,
        )

    assert snapshot(order) == before


@pytest.fixture
def mugs_and_board(place, buyer, seller):
    """An order of 3 mugs and 1 board, placed 2 hours ago; the buyer asks for 2 mugs + 1 board."""
    mug = ListingFactory(seller=seller, stock=10, title="Mug", price="9.00")
    board = ListingFactory(seller=seller, stock=10, title="Board", price="20.00")
    order = age(place({mug: 3, board: 1}), hours=2)
    mug_line, board_line = order.lines.get(listing=mug), order.lines.get(listing=board)
    cancellation_request = request_cancellation(
        order_id=order.pk,
        quantities={mug_line.pk: 2, board_line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    return order, mug_line, board_line, cancellation_request


def test_cancelling_part_of_a_request_is_refused_and_changes_nothing(mugs_and_board, as_seller):
    """
    Given a request for 2 mugs and 1 board, the seller's cancel of 1 mug as "Buyer
    cancelled" is refused: it would mark the request approved with 2 units neither
    cancelled nor declined. The request stays pending and nothing moves.
    """
    order, mug_line, _board_line, cancellation_request = mugs_and_board
    before = snapshot(order)

    with pytest.raises(CancellationError, match=r"2 × Mug and 1 × Board.*decline it first"):
        cancel_as_seller(
            order_id=order.pk,
            quantities={mug_line.pk: 1},
            reason=Reason.BUYER_CANCELLED,
            actor=as_seller,
            request_seen=cancellation_request.pk,
        )

    assert snapshot(order) == before
    assert CancellationRequest.objects.get(pk=cancellation_request.pk).status == Status.PENDING


def test_cancelling_exactly_the_requested_units_approves_the_whole_request(
    mugs_and_board, as_seller
):
    """Every requested unit is cancelled with the approval; the third mug goes on."""
    order, mug_line, board_line, cancellation_request = mugs_and_board

    cancellation = cancel_as_seller(
        order_id=order.pk,
        quantities={mug_line.pk: 2, board_line.pk: 1},
        reason=Reason.BUYER_CANCELLED,
        actor=as_seller,
        request_seen=cancellation_request.pk,
    )

    assert cancellation.request_id == cancellation_request.pk
    assert CancellationRequest.objects.get(pk=cancellation_request.pk).status == Status.APPROVED
    assert dict(order.lines.values_list("pk", "quantity_cancelled")) == {
        mug_line.pk: 2,
        board_line.pk: 1,
    }


def test_approve_cancels_every_requested_unit(mugs_and_board, as_seller):
    order, mug_line, board_line, cancellation_request = mugs_and_board

    approve_request(request_id=cancellation_request.pk, actor=as_seller)

    assert dict(order.lines.values_list("pk", "quantity_cancelled")) == {
        mug_line.pk: 2,
        board_line.pk: 1,
    }


def test_a_cancel_that_saw_no_request_is_refused_while_one_is_pending(mugs_and_board, as_seller):
    """The buyer asked after the seller's review: approve or decline first; nothing moves."""
    order, mug_line, board_line, _cancellation_request = mugs_and_board
    before = snapshot(order)

    with pytest.raises(CancellationError, match="approve or decline that request first"):
        cancel_as_seller(
            order_id=order.pk,
            quantities={mug_line.pk: 2, board_line.pk: 1},
            reason=Reason.ADDRESS_UNDELIVERABLE,
            actor=as_seller,
        )

    assert snapshot(order) == before


def test_a_confirm_after_the_buyer_withdrew_the_request_is_refused(
    mugs_and_board, buyer, as_seller
):
    """
    Given the seller's review of a request, the buyer withdraws it before Confirm: the
    confirm would cancel as "Buyer cancelled" what the buyer now wants, and count it
    against the seller. It is refused and nothing moves.
    """
    order, mug_line, board_line, cancellation_request = mugs_and_board
    withdraw_request(request_id=cancellation_request.pk, actor=Actor.buyer(buyer))
    before = snapshot(order)

    with pytest.raises(CancellationError, match="was withdrawn after you reviewed it"):
        cancel_as_seller(
            order_id=order.pk,
            quantities={mug_line.pk: 2, board_line.pk: 1},
            reason=Reason.BUYER_CANCELLED,
            actor=as_seller,
            request_seen=cancellation_request.pk,
        )

    assert snapshot(order) == before


def test_a_confirm_of_a_replaced_request_is_refused(mugs_and_board, buyer, as_seller):
    """The buyer withdrew and asked again (for 1 mug only): the old review confirms nothing."""
    order, mug_line, board_line, old = mugs_and_board
    withdraw_request(request_id=old.pk, actor=Actor.buyer(buyer))
    request_cancellation(
        order_id=order.pk,
        quantities={mug_line.pk: 2, board_line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    before = snapshot(order)

    with pytest.raises(CancellationError, match="changed their cancellation request"):
        cancel_as_seller(
            order_id=order.pk,
            quantities={mug_line.pk: 2, board_line.pk: 1},
            reason=Reason.BUYER_CANCELLED,
            actor=as_seller,
            request_seen=old.pk,
        )

    assert snapshot(order) == before


# --- No inventory -----------------------------------------------------------------------------
def no_inventory(order, actor):
    return cancel_as_seller(order_id=order.pk, reason=Reason.NO_INVENTORY, actor=actor)


def test_no_inventory_clears_the_stock_and_the_second_in_30_days_deactivates(
    place, seller, as_seller
):
    """Stock to 0 each time; the second "No inventory" within 30 days takes it off sale."""
    listing = ListingFactory(seller=seller, stock=10, title="Lamp")

    no_inventory(place({listing: 1}), as_seller)
    listing.refresh_from_db()
    assert (listing.stock, listing.is_active) == (0, True)

    update_listing(
        listing_id=listing.pk,
        seller_id=seller.pk,
        stock=3,
        price="9.00",
        handling_days=2,
        is_active=True,
    )
    no_inventory(place({listing: 1}), as_seller)

    listing.refresh_from_db()
    assert (listing.stock, listing.is_active) == (0, False)
    assert listing.deactivated_for == Listing.Deactivation.NO_INVENTORY
    assert "2 “No inventory” cancellations in 30 days" in listing.deactivated_reason


def test_no_inventory_older_than_30_days_does_not_count(place, seller, as_seller):
    listing = ListingFactory(seller=seller, stock=10)
    first = no_inventory(place({listing: 1}), as_seller)
    Cancellation.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=31))
    Listing.objects.filter(pk=listing.pk).update(stock=5)

    no_inventory(place({listing: 1}), as_seller)

    assert Listing.objects.get(pk=listing.pk).is_active is True


def test_updating_the_stock_reactivates_a_listing_taken_off_for_no_inventory(
    place, seller, as_seller
):
    listing = ListingFactory(seller=seller, stock=10)
    for _ in range(2):
        Listing.objects.filter(pk=listing.pk).update(stock=5)
        no_inventory(place({listing: 1}), as_seller)
    assert Listing.objects.get(pk=listing.pk).is_active is False

    # The edit form shows the box unticked (inactive): the stock alone puts it back.
    update_listing(
        listing_id=listing.pk,
        seller_id=seller.pk,
        stock=4,
        price="10.00",
        handling_days=2,
        is_active=False,
    )

    listing.refresh_from_db()
    assert (listing.stock, listing.is_active, listing.deactivated_reason) == (4, True, "")
    assert listing.deactivated_for == ""


def test_a_listing_the_seller_switched_off_stays_off_when_restocked(seller):
    listing = ListingFactory(seller=seller, stock=0, is_active=False)
    update_listing(
        listing_id=listing.pk,
        seller_id=seller.pk,
        stock=4,
        price="10.00",
        handling_days=2,
        is_active=False,
    )
    assert Listing.objects.get(pk=listing.pk).is_active is False


# --- approve_request --------------------------------------------------------------------------
def test_approve_cancels_the_requested_units_as_buyer_cancelled(
    requested, as_seller, django_capture_on_commit_callbacks, mailoutbox
):
    order, line, cancellation_request = requested(quantity=1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancellation = approve_request(request_id=cancellation_request.pk, actor=as_seller)

    cancellation_request.refresh_from_db()
    line.refresh_from_db()
    assert cancellation_request.status == Status.APPROVED
    assert cancellation_request.responded_at is not None
    assert (cancellation.reason, cancellation.counts_against_seller) == ("buyer_cancelled", False)
    assert cancellation.request_id == cancellation_request.pk
    assert line.quantity_cancelled == 1
    assert order.payment.transactions.get(kind="void").amount == Decimal("12.50")
    assert "bea@example.com" in [m.to[0] for m in mailoutbox]


def test_approving_twice_is_refused_and_cancels_once(requested, as_seller):
    order, _line, cancellation_request = requested()
    approve_request(request_id=cancellation_request.pk, actor=as_seller)
    before = snapshot(order)

    with pytest.raises(AlreadyDone, match="already answered: approved"):
        approve_request(request_id=cancellation_request.pk, actor=as_seller)

    assert snapshot(order) == before


def test_approving_after_the_items_shipped_is_refused(requested, seller, as_seller):
    """Shipped meanwhile: the request can only be declined; nothing changes."""
    order, line, cancellation_request = requested(quantity=2)
    ship(order, seller, {line.pk: 1})
    before = snapshot(order)

    with pytest.raises(CancellationError, match="can only be declined"):
        approve_request(request_id=cancellation_request.pk, actor=as_seller)

    assert snapshot(order) == before


def test_another_seller_cannot_answer_a_request(requested):
    order, _line, cancellation_request = requested()
    stranger = Actor.seller(SellerFactory().user)
    before = snapshot(order)
    with pytest.raises(CancellationError, match="Only the order's seller"):
        approve_request(request_id=cancellation_request.pk, actor=stranger)
    with pytest.raises(CancellationError, match="Only the order's seller"):
        decline_request(request_id=cancellation_request.pk, note="no", actor=stranger)
    assert snapshot(order) == before


# --- decline_request ----------------------------------------------------------------------------
def test_decline_records_the_note_and_tells_the_buyer(
    requested, as_seller, django_capture_on_commit_callbacks, mailoutbox
):
    order, _line, cancellation_request = requested()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        decline_request(
            request_id=cancellation_request.pk,
            note="  Already packed, shipping today.  ",
            actor=as_seller,
        )

    cancellation_request.refresh_from_db()
    assert cancellation_request.status == Status.DECLINED
    assert cancellation_request.response_note == "Already packed, shipping today."
    assert order.lines.get().quantity_cancelled == 0
    event = order.events.get(type=OrderEvent.Type.CANCELLATION_REQUEST_DECLINED)
    assert "Already packed, shipping today." in event.summary
    (email,) = mailoutbox
    assert email.to == ["bea@example.com"]
    assert "declined" in email.subject
    assert "Already packed, shipping today." in email.body


@pytest.mark.parametrize("note", ["", "   ", "x" * 501, "nul\x00"])
def test_decline_needs_a_short_note(requested, as_seller, note):
    order, _line, cancellation_request = requested()
    before = snapshot(order)
    with pytest.raises(CancellationError):
        decline_request(request_id=cancellation_request.pk, note=note, actor=as_seller)
    assert snapshot(order) == before


def test_a_long_decline_note_fits_the_timeline(requested, as_seller):
    order, _line, cancellation_request = requested()
    decline_request(request_id=cancellation_request.pk, note="y" * 500, actor=as_seller)
    event = order.events.get(type=OrderEvent.Type.CANCELLATION_REQUEST_DECLINED)
    assert len(event.summary) <= 300


def test_declining_an_answered_request_is_refused(requested, buyer, as_seller):
    _order, _line, cancellation_request = requested()
    withdraw_request(request_id=cancellation_request.pk, actor=Actor.buyer(buyer))
    with pytest.raises(AlreadyDone, match="withdrawn"):
        decline_request(request_id=cancellation_request.pk, note="No", actor=as_seller)
    cancellation_request.refresh_from_db()
    assert cancellation_request.status == Status.WITHDRAWN


# --- bulk_cancel_orders -----------------------------------------------------------------------
def as_reviewed(*orders) -> dict[int, dict[int, int]]:
    """What a bulk review shows of these orders: each line's units left to cancel."""
    return {
        order.pk: {line.pk: line.quantity_open for line in order.lines.all() if line.quantity_open}
        for order in orders
    }


def test_bulk_cancel_reports_each_order(place, seller, as_seller):
    """Each order its own outcome: cancelled, shipped meanwhile, someone else's."""
    fresh, other_fresh, shipped = place(), place(), place()
    foreign = place({ListingFactory(): 1}, who=UserFactory())
    reviewed = as_reviewed(shipped, fresh, other_fresh, foreign)
    ship(shipped, seller, {shipped.lines.get().pk: 2})

    outcomes = bulk_cancel_orders(
        reviewed=reviewed, reason=Reason.CUSTOMER_EXCHANGE, note="", actor=as_seller
    )

    by_order = {o.order_id: o for o in outcomes}
    assert len(outcomes) == 4  # each order once
    assert by_order[fresh.pk].cancelled and by_order[other_fresh.pk].cancelled
    assert by_order[fresh.pk].message == "2 items cancelled"
    assert not by_order[shipped.pk].cancelled
    assert "changed after you reviewed it: items shipped" in by_order[shipped.pk].message
    assert not by_order[foreign.pk].cancelled
    assert by_order[foreign.pk].number == ""
    for order, status in [
        (fresh, OrderStatus.CANCELLED),
        (other_fresh, OrderStatus.CANCELLED),
        (shipped, OrderStatus.SHIPPED),
        (foreign, OrderStatus.UNSHIPPED),
    ]:
        order.refresh_from_db()
        assert order.status == status
    assert Cancellation.objects.count() == 2


def test_bulk_cancel_with_a_missing_memo_cancels_nothing(place, as_seller):
    order = place()
    before = snapshot(order)
    with pytest.raises(CancellationError, match="memo"):
        bulk_cancel_orders(
            reviewed=as_reviewed(order),
            reason=Reason.GENERAL_ADJUSTMENT,
            note="",
            actor=as_seller,
        )
    assert snapshot(order) == before


def test_bulk_cancel_refuses_an_order_the_buyer_changed_after_the_review(place, buyer, as_seller):
    """
    Given a review of an order of 2 units, when the buyer cancels 1 before the seller
    confirms, then the order is refused under its lock, saying what changed, and the
    buyer's cancellation is the only one.
    """
    order = place()
    reviewed = as_reviewed(order)
    cancel_items(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )
    before = snapshot(order)

    (outcome,) = bulk_cancel_orders(
        reviewed=reviewed, reason=Reason.CUSTOMER_EXCHANGE, note="", actor=as_seller
    )

    assert not outcome.cancelled
    assert outcome.message == (
        f"Order {order.number} changed after you reviewed it: the buyer cancelled items "
        f"({order.lines.get().title}: 1 left to cancel, not 2), so nothing in it was "
        "cancelled. Review it again."
    )
    assert snapshot(order) == before


def test_bulk_cancel_refuses_an_order_whose_buyer_asked_after_the_review(place, buyer, as_seller):
    """A buyer's request filed after the review is answered on its own, never swept in."""
    order = age(place(), hours=2)
    reviewed = as_reviewed(order)
    request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    before = snapshot(order)

    (outcome,) = bulk_cancel_orders(
        reviewed=reviewed, reason=Reason.BUYER_CANCELLED, note="", actor=as_seller
    )

    assert not outcome.cancelled
    assert "approve or decline that request first" in outcome.message
    assert snapshot(order) == before


def test_the_same_bulk_confirmation_twice_cancels_once(place, as_seller):
    """The review's key gives each order's cancellation its own: a replay is told apart."""
    first, second = place(), place()
    reviewed = as_reviewed(first, second)

    done = bulk_cancel_orders(
        reviewed=reviewed,
        reason=Reason.NO_INVENTORY,
        note="",
        actor=as_seller,
        idempotency_key="a" * 32,
    )
    replay = bulk_cancel_orders(
        reviewed=reviewed,
        reason=Reason.NO_INVENTORY,
        note="",
        actor=as_seller,
        idempotency_key="a" * 32,
    )

    assert [o.cancelled for o in done] == [True, True]
    assert [(o.cancelled, o.replayed) for o in replay] == [(False, True), (False, True)]
    assert Cancellation.objects.count() == 2
    assert len(set(Cancellation.objects.values_list("idempotency_key", flat=True))) == 2
