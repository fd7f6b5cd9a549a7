"""The page queries of Your Orders and Seller Central (orders/selectors.py)."""

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from orders import selectors
from orders.filters import SellerOrderStatus
from orders.models import Order, OrderEvent, OrderStatus, Shipment
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

S = OrderStatus
E = OrderEvent.Type


def numbers(queryset) -> list[str]:
    return [order.number for order in queryset]


# --- Your Orders ------------------------------------------------------------------------------
def test_orders_for_buyer_tabs(buyer, seller):
    """
    Current = still cancellable states (a delivered order without its "delivered" event
    is not a recent delivery), Cancelled = cancelled, All = everything; newest first.
    """
    now = timezone.now()
    open_ = OrderFactory(buyer=buyer, seller=seller, status=S.PENDING_PAYMENT, placed_at=now)
    cancelled = OrderFactory(
        buyer=buyer, seller=seller, status=S.CANCELLED, placed_at=now - timedelta(hours=1)
    )
    delivered = OrderFactory(
        buyer=buyer, seller=seller, status=S.DELIVERED, placed_at=now - timedelta(hours=2)
    )
    OrderFactory(seller=seller)  # another buyer's

    assert numbers(selectors.orders_for_buyer(buyer=buyer, tab="open")) == [open_.number]
    assert numbers(selectors.orders_for_buyer(buyer=buyer, tab="cancelled")) == [cancelled.number]
    assert numbers(selectors.orders_for_buyer(buyer=buyer, tab="all")) == [
        open_.number,
        cancelled.number,
        delivered.number,
    ]
    assert numbers(selectors.orders_for_buyer(buyer=buyer, tab="bogus")) == [open_.number]


def test_orders_for_buyer_loads_the_cards_keys_in_one_query_and_the_lines_in_one_more(
    buyer, seller, django_assert_num_queries
):
    """
    The cards' versions, sellers and payments (what the payment returned moves the total)
    come with the orders; the lines, which only rendering reads, cost one prefetch, made
    for the cards the cache does not hold.
    """
    OrderFactory.create_batch(3, buyer=buyer, seller=seller, lines=[(None, 1), (None, 2)])

    with django_assert_num_queries(1):
        orders = list(selectors.orders_for_buyer(buyer=buyer, tab="all"))
        keys = [(o.pk, o.updated_at, o.seller.store_name, o.payment.amount_voided) for o in orders]
    with django_assert_num_queries(1):
        selectors.prepare_cards(orders)
        seen = [(o.payment.card_last4, len(o.lines.all())) for o in orders]

    assert len(keys) == 3
    assert all(lines == 2 for _card, lines in seen)


def test_order_for_buyer_finds_only_the_buyers_own_order(buyer, seller):
    """The number alone is not enough: another buyer's order does not exist for you."""
    mine = OrderFactory(buyer=buyer, seller=seller)
    theirs = OrderFactory(seller=seller)

    assert selectors.order_for_buyer(buyer=buyer, number=mine.number) == mine
    with pytest.raises(Order.DoesNotExist):
        selectors.order_for_buyer(buyer=buyer, number=theirs.number)
    with pytest.raises(Order.DoesNotExist):
        selectors.order_for_buyer(buyer=buyer, number="no-such-number")


def test_latest_payment_event_is_the_last_payment_answer(buyer, seller):
    """Authorized, declined or revised (still asking): the newest payment event wins."""
    order = OrderFactory(buyer=buyer, seller=seller, status=S.PAYMENT_FAILED)
    assert selectors.latest_payment_event(order_id=order.pk) is None

    for type_ in (E.PAYMENT_FAILED, E.PAYMENT_REVISED, E.PREPARING):
        OrderEvent.objects.create(order=order, type=type_, actor_role="system", summary=type_)

    assert selectors.latest_payment_event(order_id=order.pk).type == E.PAYMENT_REVISED


# --- Seller Central ---------------------------------------------------------------------------
def test_orders_for_seller_is_scoped_and_filtered(seller):
    """Only the seller's orders, narrowed by status (Late included) and number."""
    past = timezone.now() - timedelta(days=4)
    unshipped = OrderFactory(seller=seller)
    late = OrderFactory(seller=seller, status=S.PREPARING, placed_at=past, ship_by=past)
    OrderFactory(seller=seller, status=S.SHIPPED, placed_at=past, ship_by=past)
    other_late = OrderFactory(status=S.UNSHIPPED, placed_at=past, ship_by=past)

    late_only = selectors.orders_for_seller(seller=seller, filters=QueryDict("status=late"))
    searched = selectors.orders_for_seller(seller=seller, filters={"q": unshipped.number[4:11]})
    everything = selectors.orders_for_seller(seller=seller)

    assert numbers(late_only) == [late.number]
    assert numbers(searched) == [unshipped.number]
    assert len(everything) == 3
    assert other_late.number not in numbers(everything)


def test_orders_for_seller_with_invalid_filters_matches_nothing(seller):
    """An unknown status is not silently ignored: the page shows the error and no orders."""
    OrderFactory(seller=seller)

    assert numbers(selectors.orders_for_seller(seller=seller, filters={"status": "x"})) == []


def test_order_counts_for_seller(seller):
    """One query counts every status filter, Late by date, and all orders."""
    past = timezone.now() - timedelta(days=4)
    OrderFactory(seller=seller)
    OrderFactory(seller=seller, placed_at=past, ship_by=past)
    OrderFactory(seller=seller, status=S.PARTIALLY_SHIPPED, placed_at=past, ship_by=past)
    OrderFactory(seller=seller, status=S.CANCELLED, placed_at=past, ship_by=past)
    OrderFactory(status=S.CANCELLED)  # another seller's

    counts = selectors.order_counts_for_seller(seller=seller)

    assert counts == {
        "all": 4,
        "awaiting_payment": 0,
        "unshipped": 2,
        "preparing": 0,
        "late": 2,
        "partially_shipped": 1,
        "shipped": 0,
        "delivered": 0,
        "cancelled": 1,
    }
    # The status pills add up to "All"; Late cuts across them.
    assert sum(counts[value] for value, _label in SellerOrderStatus.pills) == counts["all"]


def test_order_for_seller_finds_only_the_sellers_own_order(seller, django_assert_num_queries):
    """Another store's order does not exist for you; your own comes with its whole page."""
    mine = OrderFactory(seller=seller, lines=[(None, 1), (None, 1)])
    shipment = Shipment.objects.create(order=mine, carrier="DHL", tracking_number="JD0001")
    first_line = mine.lines.first()
    shipment.lines.create(line=first_line, quantity=1)
    theirs = OrderFactory()

    # order + parties + payment, lines, events, messages, shipments, shipment lines + lines
    with django_assert_num_queries(7):  # and the payment's money rows
        order = selectors.order_for_seller(seller=seller, number=mine.number)
        assert (order.seller, order.buyer.pk, order.payment.pk) == (
            seller,
            mine.buyer_id,
            mine.payment_id,
        )
        assert len(order.lines.all()) == 2
        assert list(order.events.all()) == list(order.messages.all()) == []
        (shipped,) = order.shipments.all()
        assert [sl.line.title for sl in shipped.lines.all()] == [first_line.title]
    with pytest.raises(Order.DoesNotExist):
        selectors.order_for_seller(seller=seller, number=theirs.number)
