"""What the returns pages and other apps read about returns, in as few queries as they need."""

from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet, Sum

from catalog.models import Seller
from orders.models import Order

from .models import OPEN_STATUSES, ReturnRequest, ReturnStatus


def returns_of_order(order: Order) -> list[ReturnRequest]:
    """The order's returns, newest first, with their lines and order lines."""
    return list(order.returns.prefetch_related("lines__order_line"))


def returns_of_orders(orders: Iterable[Order]) -> dict[int, list[ReturnRequest]]:
    """Order id → its returns, oldest first, for a page of orders: one query (and lines)."""
    found: dict[int, list[ReturnRequest]] = {order.pk: [] for order in orders}
    for return_request in (
        ReturnRequest.objects.filter(order_id__in=found)
        .prefetch_related("lines")
        .order_by("requested_at", "pk")
    ):
        found[return_request.order_id].append(return_request)
    return found


def return_for_buyer(buyer: AbstractBaseUser, pk: int) -> ReturnRequest:
    """The buyer's own return, with its order and lines; ReturnRequest.DoesNotExist otherwise."""
    return (
        ReturnRequest.objects.select_related("order__seller", "order__payment")
        .prefetch_related("lines__order_line")
        .get(pk=pk, order__buyer_id=buyer.pk)
    )


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
