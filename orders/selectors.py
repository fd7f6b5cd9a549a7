"""
The queries behind Your Orders and Seller Central's order pages.

Each one is scoped to its owner (a buyer's orders, a seller's orders), so a page can
never show someone else's order, and names the relations it needs, so a page makes
the same number of queries for 5 orders as for 200 (pinned by the query-count tests).
"""

from collections.abc import Mapping

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.models import Seller

from .filters import SellerOrderFilter, SellerOrderStatus
from .models import SHIPPABLE_STATES, Order, OrderEvent, OrderStatus, Shipment, ShipmentLine


class BuyerTab:
    OPEN = "open"
    CANCELLED = "cancelled"
    ALL = "all"

    choices = [(OPEN, "Open"), (CANCELLED, "Cancelled"), (ALL, "All")]

    @classmethod
    def clean(cls, tab: str | None) -> str:
        """The tab asked for, or Open for anything unknown (a bookmark, a typo)."""
        return tab if tab in {value for value, _label in cls.choices} else cls.OPEN


def _listed(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """What an order card or row shows: the parties, the payment and the lines."""
    return (
        queryset.select_related("seller", "payment", "buyer")
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")
    )


def _detailed(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """What an order page shows: the card's relations, plus timeline, messages, shipments."""
    return _listed(queryset).prefetch_related(
        "events",
        "messages",
        Prefetch(
            "shipments",
            queryset=Shipment.objects.prefetch_related(
                Prefetch("lines", queryset=ShipmentLine.objects.select_related("line"))
            ),
        ),
    )


# --- Your Orders -----------------------------------------------------------------------
def orders_for_buyer(*, buyer, tab: str) -> QuerySet[Order]:
    """The buyer's orders on a tab (Open, Cancelled or All), newest first."""
    queryset = Order.objects.filter(buyer=buyer)
    tab = BuyerTab.clean(tab)
    if tab == BuyerTab.OPEN:
        queryset = queryset.open()
    elif tab == BuyerTab.CANCELLED:
        queryset = queryset.filter(status=OrderStatus.CANCELLED)
    return _listed(queryset)


def order_for_buyer(*, buyer, number: str) -> Order:
    """The buyer's order with this number; Order.DoesNotExist for anyone else's."""
    return _detailed(Order.objects.filter(buyer=buyer)).get(number=number)


def latest_payment_event(*, order_id: int) -> OrderEvent | None:
    """The order's latest payment event: authorized, declined, or revised (still asking)."""
    return (
        OrderEvent.objects.filter(
            order_id=order_id,
            type__in=[
                OrderEvent.Type.PAYMENT_AUTHORIZED,
                OrderEvent.Type.PAYMENT_FAILED,
                OrderEvent.Type.PAYMENT_REVISED,
            ],
        )
        .order_by("-pk")
        .first()
    )


# --- Seller Central ----------------------------------------------------------------------
def seller_order_filter(
    *, seller: Seller, filters: Mapping[str, str] | None = None
) -> SellerOrderFilter:
    """Seller Central's filters (a GET QueryDict) over the seller's orders, newest first."""
    return SellerOrderFilter(filters or None, queryset=_listed(Order.objects.filter(seller=seller)))


def orders_for_seller(
    *, seller: Seller, filters: Mapping[str, str] | None = None
) -> QuerySet[Order]:
    """
    The seller's orders, newest first, narrowed by the filters. Filters that do not
    validate match nothing: the page shows why.
    """
    return seller_order_filter(seller=seller, filters=filters).matching()


def order_counts_for_seller(*, seller: Seller, now=None) -> dict[str, int]:
    """How many of the seller's orders each status filter holds, and "all" (one query)."""
    now = now or timezone.now()
    late = Q(status__in=SHIPPABLE_STATES, ship_by__lt=now)
    counts = {
        value: Count("pk", filter=late if value == SellerOrderStatus.LATE else Q(status=value))
        for value, _label in SellerOrderStatus.choices
    }
    return Order.objects.filter(seller=seller).aggregate(all=Count("pk"), **counts)


def order_for_seller(*, seller: Seller, number: str) -> Order:
    """The seller's order with this number; Order.DoesNotExist for another seller's."""
    return _detailed(Order.objects.filter(seller=seller)).get(number=number)
