"""What the returns pages and other apps read about returns, in as few queries as they need."""

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from catalog.models import Seller
from orders.models import Order

from .models import OPEN_STATUSES, ReturnRequest, ReturnStatus


def returns_of_order(order: Order) -> list[ReturnRequest]:
    """The order's returns, newest first, with their lines and order lines."""
    return list(order.returns.prefetch_related("lines__order_line"))


def returns_for_seller(seller: Seller) -> QuerySet[ReturnRequest]:
    """Every return of the seller's orders, newest first, with their order and lines."""
    return (
        ReturnRequest.objects.filter(order__seller=seller)
        .select_related("order", "buyer")
        .prefetch_related("lines__order_line")
    )


def open_returns_for_seller(seller: Seller) -> QuerySet[ReturnRequest]:
    return returns_for_seller(seller).filter(status__in=OPEN_STATUSES)


NEEDS_SELLER = Q(status=ReturnStatus.REQUESTED) | Q(
    status__in=[ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK]
)


def returns_needing_seller(seller: Seller) -> int:
    """The nav badge: requests to answer and parcels to mark received."""
    return ReturnRequest.objects.filter(NEEDS_SELLER, order__seller=seller).count()


def returned_amount(order: Order) -> Decimal:
    """What refunded returns gave back on the order (its "Total now" subtracts it)."""
    total = order.returns.filter(status=ReturnStatus.REFUNDED).aggregate(
        total=Sum("refund_amount", default=Decimal(0))
    )["total"]
    return Decimal(total)
