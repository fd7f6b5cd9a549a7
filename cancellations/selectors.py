"""
The queries behind Seller Central's cancellation pages: the requests queue, the nav
badge and the order list's flags. Each is scoped to one seller and names the
relations its page reads, so a page makes the same queries for 1 request as for 100.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Seller
from orders.models import Order
from orders.selectors import waiting_thread_count

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


@dataclass(frozen=True)
class WaitingCounts:
    """What waits for the seller's answer: the Seller Central badges."""

    requests: int  # buyer cancellation requests
    messages: int  # orders whose buyer's message is unanswered

    @property
    def total(self) -> int:
        return self.requests + self.messages


def waiting_counts(*, seller_id: int) -> WaitingCounts:
    """
    The nav badges, on every page a seller opens: one query, the pending requests
    counted over their partial unique index, the waiting buyers over the partial index
    of orders with a buyer waiting.
    """
    sql, params = _waiting_counts_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [seller_id if p == SQL_SELLER_ID else p for p in params])
        row = cursor.fetchone()
    return WaitingCounts(*row) if row else WaitingCounts(0, 0)


SQL_SELLER_ID = -1  # a placeholder no seller has, replaced by the real id at each run


@functools.cache
def _waiting_counts_sql() -> tuple[str, tuple[Any, ...]]:
    """
    The badges' SQL, built once per process: only the seller's id changes, and building
    its subqueries costs several times what running them does.
    """
    requests = (
        CancellationRequest.objects.filter(order__seller=OuterRef("pk"), status=PENDING)
        .order_by()
        .values("order__seller")
        .annotate(n=Count("pk"))
        .values("n")
    )
    query = (
        Seller.objects.filter(pk=SQL_SELLER_ID)
        .order_by()
        .values_list(Coalesce(Subquery(requests), 0), Coalesce(waiting_thread_count(), 0))
    )
    sql, params = query.query.sql_with_params()
    assert params.count(SQL_SELLER_ID) == 1, params  # the seller's id, once
    return sql, params


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
