"""
The queries behind Seller Central's cancellation pages: the requests queue, the nav
badge's count and the order list's flags. Each is scoped to one seller and names the
relations its page reads, so a page makes the same queries for 1 request as for 100.
"""

from collections.abc import Iterable

from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.utils import timezone

from catalog.models import Seller
from orders.models import Order

from .models import CancellationLine, CancellationRequest, CancellationRequestLine, Reason
from .rules import no_inventory_limit

PENDING = CancellationRequest.Status.PENDING


def pending_requests_for_seller(seller: Seller) -> QuerySet[CancellationRequest]:
    """The seller's requests waiting for an answer, the one due first on top."""
    return (
        CancellationRequest.objects.filter(order__seller=seller, status=PENDING)
        .select_related("order", "buyer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=CancellationRequestLine.objects.select_related("order_line"),
            )
        )
        .order_by("created_at", "pk")
    )


def request_for_seller(*, seller: Seller, request_id: int) -> CancellationRequest:
    """A request on one of the seller's orders; DoesNotExist for another seller's."""
    return CancellationRequest.objects.select_related("order").get(
        pk=request_id, order__seller=seller
    )


def pending_request_count() -> Subquery:
    """
    How many requests of the seller in ``OuterRef("pk")`` wait for an answer: a subquery
    over their partial unique index, so the Seller Central badges
    (``sellercentral.selectors.waiting_counts``) count it with the rest in one query.
    """
    return Subquery(
        CancellationRequest.objects.filter(order__seller=OuterRef("pk"), status=PENDING)
        .order_by()
        .values("order__seller")
        .annotate(n=Count("pk"))
        .values("n")
    )


def order_ids_with_pending_request(order_ids: Iterable[int]) -> set[int]:
    """Which of these orders (a page of the order list) wait for an answer: one query."""
    return set(
        CancellationRequest.objects.filter(
            order_id__in=list(order_ids), status=PENDING
        ).values_list("order_id", flat=True)
    )


def fetch_pending_requests(orders: list[Order]) -> None:
    """
    Set each order's ``pending_cancellation_requests`` (its pending request, or none):
    one query for the orders that do not have it yet, none when all of them do.
    """
    prefetch_related_objects(
        orders,
        Prefetch(
            "cancellation_requests",
            queryset=CancellationRequest.objects.filter(status=PENDING),
            to_attr="pending_cancellation_requests",
        ),
    )


def orders_for_bulk_review(*, seller: Seller, order_ids: Iterable[int]) -> list[Order]:
    """The ticked orders that are the seller's, with their lines and payment: two queries."""
    return list(
        Order.objects.filter(seller=seller, pk__in=list(order_ids))
        .select_related("payment")
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")
    )


def recent_no_inventory_cancellations(listing_ids: Iterable[int]) -> dict[int, int]:
    """Listing id → its "No inventory" cancellations in the deactivation window (one query)."""
    _strikes, window = no_inventory_limit()
    rows = (
        CancellationLine.objects.filter(
            order_line__listing_id__in=list(listing_ids),
            cancellation__reason=Reason.NO_INVENTORY,
            cancellation__created_at__gte=timezone.now() - window,
        )
        .values("order_line__listing_id")
        .annotate(times=Count("cancellation", distinct=True))
        .order_by()
    )
    return {row["order_line__listing_id"]: row["times"] for row in rows}
