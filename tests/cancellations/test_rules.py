"""
Who may cancel what, when (cancellations/rules.py): each rule on orders and lines
that are never saved (the rules are pure functions of them), at the instants where
the answer changes.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cancellations import rules
from cancellations.models import Reason
from cancellations.rules import BuyerMode
from orders.models import Order, OrderLine, OrderStatus

PLACED = timezone.now().replace(microsecond=0)
ONE_MICROSECOND = timedelta(microseconds=1)


def order(status=OrderStatus.UNSHIPPED, *, ship_by_days=2):
    return Order(status=status, placed_at=PLACED, ship_by=PLACED + timedelta(days=ship_by_days))


def line(quantity, *, shipped=0, cancelled=0):
    return OrderLine(quantity=quantity, quantity_shipped=shipped, quantity_cancelled=cancelled)


# --- Open units and the seller's Cancel buttons -----------------------------------------------
def test_open_units_are_neither_shipped_nor_cancelled_on_every_line():
    """3 ordered, 1 shipped, 1 cancelled leaves 1; with a line of 2 open: 3."""
    assert rules.open_units([line(3, shipped=1, cancelled=1), line(2)]) == 3
    assert rules.open_units([]) == 0


@pytest.mark.parametrize(
    ("status", "lines", "can_cancel"),
    [
        (OrderStatus.UNSHIPPED, [line(1)], True),
        (OrderStatus.PAYMENT_FAILED, [line(1)], True),
        # One line done, another still open: the order may still be cancelled.
        (OrderStatus.PARTIALLY_SHIPPED, [line(2, shipped=2), line(1)], True),
        (OrderStatus.PARTIALLY_SHIPPED, [line(2, shipped=1, cancelled=1)], False),
        (OrderStatus.SHIPPED, [line(1)], False),
        (OrderStatus.CANCELLED, [line(1)], False),
    ],
)
def test_seller_can_cancel_an_open_unit_of_an_order_not_yet_shipped(status, lines, can_cancel):
    assert rules.seller_can_cancel(order(status), lines) is can_cancel


def test_requested_units_add_up_per_order_line():
    """A request naming one line twice (1 + 2 units) and another once (4) asks 3 and 4."""
    request_lines = [
        SimpleNamespace(order_line_id=7, quantity=1),
        SimpleNamespace(order_line_id=8, quantity=4),
        SimpleNamespace(order_line_id=7, quantity=2),
    ]
    cancellation_request = SimpleNamespace(lines=SimpleNamespace(all=lambda: request_lines))

    assert rules.requested_units(cancellation_request) == {7: 3, 8: 4}


# --- The buyer: directly, by request, or not at all ---------------------------------------------
def test_direct_cancel_deadline_is_the_setting_in_minutes_after_placing(settings):
    assert rules.direct_cancel_deadline(order()) == PLACED + timedelta(minutes=30)
    settings.BUYER_DIRECT_CANCEL_MINUTES = 45
    assert rules.direct_cancel_deadline(order()) == PLACED + timedelta(minutes=45)


def test_buyer_cancels_directly_up_to_the_deadlines_exact_instant_then_asks():
    """At placed + 30 min exactly the buyer still cancels directly; a microsecond later, asks."""
    deadline = PLACED + timedelta(minutes=30)
    lines = [line(2)]

    assert rules.buyer_mode(order(), lines, now=PLACED) == BuyerMode.DIRECT
    assert rules.buyer_mode(order(), lines, now=deadline) == BuyerMode.DIRECT
    assert rules.buyer_mode(order(), lines, now=deadline + ONE_MICROSECOND) == BuyerMode.REQUEST


def test_buyer_mode_reads_the_clock_when_not_given_a_time():
    """An order placed now is cancelled directly; one placed 31 minutes ago by request."""
    now = timezone.now()
    fresh = Order(status=OrderStatus.UNSHIPPED, placed_at=now, ship_by=now + timedelta(days=2))
    older = Order(
        status=OrderStatus.UNSHIPPED,
        placed_at=now - timedelta(minutes=31),
        ship_by=now + timedelta(days=2),
    )

    assert rules.buyer_mode(fresh, [line(1)]) == BuyerMode.DIRECT
    assert rules.buyer_mode(older, [line(1)]) == BuyerMode.REQUEST


def test_a_preparing_order_is_cancelled_by_request_even_within_the_first_minutes():
    assert rules.buyer_mode(order(OrderStatus.PREPARING), [line(1)], now=PLACED) == "request"


@pytest.mark.parametrize("status", [OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED])
def test_an_unpaid_order_is_cancelled_directly_at_any_time(status):
    """Nothing can ship before the payment goes through, so no seller needs asking."""
    long_after = PLACED + timedelta(days=30)
    assert rules.buyer_mode(order(status), [line(1)], now=long_after) == BuyerMode.DIRECT


@pytest.mark.parametrize(
    "status", [OrderStatus.UNSHIPPED, OrderStatus.PREPARING, OrderStatus.PARTIALLY_SHIPPED]
)
def test_a_late_order_is_cancelled_directly_from_just_after_its_ship_by(status):
    """The FTC delay rule: once past ship-by (not at it), the buyer cancels at no cost."""
    ship_by = PLACED + timedelta(days=2)
    lines = [line(2, shipped=1)]

    assert rules.buyer_mode(order(status), lines, now=ship_by) == BuyerMode.REQUEST
    assert rules.buyer_mode(order(status), lines, now=ship_by + ONE_MICROSECOND) == "direct"


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.CANCELLED])
def test_a_closed_order_is_not_cancelled_by_the_buyer(status):
    long_after = PLACED + timedelta(days=30)
    assert rules.buyer_mode_of_open_order(order(status), now=long_after) is None


def test_nothing_open_is_nothing_to_cancel_even_while_the_order_is_new():
    lines = [line(2, shipped=1, cancelled=1)]
    assert rules.buyer_mode(order(), lines, now=PLACED) is None


# --- What counts against the seller -----------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "initiator", "has_request", "counts"),
    [
        (Reason.NO_INVENTORY, "seller", False, True),
        (Reason.NO_INVENTORY, "seller", True, True),
        (Reason.BUYER_CANCELLED, "seller", True, False),
        # "Buyer cancelled" with no request from the buyer is the seller's own word.
        (Reason.BUYER_CANCELLED, "seller", False, True),
        (Reason.SHIPPING_DELAY, "system", False, True),
        (Reason.PAYMENT_NOT_COMPLETED, "system", False, False),
        (Reason.CREATED_BY_MISTAKE, "buyer", False, False),
        (Reason.SHIPPING_DELAY, "buyer", False, False),
        (Reason.DISPUTE_RESOLUTION, "staff", False, False),
    ],
)
def test_counts_against_seller(reason, initiator, has_request, counts):
    assert (
        rules.counts_against_seller(reason=reason, initiator=initiator, has_request=has_request)
        is counts
    )


# --- Seller Central -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "required"),
    [
        (Reason.GENERAL_ADJUSTMENT, True),
        (Reason.PRICING_ERROR, True),
        (Reason.NO_INVENTORY, False),
        (Reason.BUYER_CANCELLED, False),
    ],
)
def test_a_memo_is_required_where_it_is_the_buyers_only_explanation(reason, required):
    assert rules.seller_memo_required(reason) is required


def test_no_inventory_limit_follows_the_settings_when_asked(settings):
    assert rules.no_inventory_limit() == (2, timedelta(days=30))
    settings.NO_INVENTORY_DEACTIVATE_AFTER, settings.NO_INVENTORY_WINDOW_DAYS = 3, 10
    assert rules.no_inventory_limit() == (3, timedelta(days=10))
