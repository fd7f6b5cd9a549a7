"""
What waits for the seller's answer, on every page a seller opens: the Seller Central
badges. They live on the floor that sees all three apps they count (cancellation
requests, buyers' messages, returns), so the three are counted in one query.
"""

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from cancellations.selectors import pending_request_count
from catalog.models import Seller
from orders.selectors import waiting_thread_count
from returns.models import ReturnRequest
from returns.selectors import NEEDS_SELLER


@dataclass(frozen=True)
class WaitingCounts:
    """What waits for the seller's answer: the Seller Central badges."""

    requests: int  # buyer cancellation requests
    messages: int  # orders whose buyer's message is unanswered
    returns: int  # return requests to answer and parcels to mark received

    @property
    def total(self) -> int:
        return self.requests + self.messages + self.returns


def waiting_counts(*, seller_id: int) -> WaitingCounts:
    """
    The nav badges, on every page a seller opens: one query, the pending requests
    counted over their partial unique index, the waiting buyers over the partial index
    of orders with a buyer waiting, the returns needing the seller over their status.
    """
    sql, params = _waiting_counts_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [seller_id if p == SQL_SELLER_ID else p for p in params])
        row = cursor.fetchone()
    return WaitingCounts(*row) if row else WaitingCounts(0, 0, 0)


SQL_SELLER_ID = -1  # a placeholder no seller has, replaced by the real id at each run


def returns_needing_seller_count() -> Subquery:
    """``returns.selectors.returns_needing_seller`` for the seller in ``OuterRef("pk")``."""
    return Subquery(
        ReturnRequest.objects.filter(NEEDS_SELLER, order__seller=OuterRef("pk"))
        .order_by()
        .values("order__seller")
        .annotate(n=Count("pk"))
        .values("n")
    )


@functools.cache
def _waiting_counts_sql() -> tuple[str, tuple[Any, ...]]:
    """
    The badges' SQL, built once per process: only the seller's id changes, and building
    its subqueries costs several times what running them does.
    """
    query = (
        Seller.objects.filter(pk=SQL_SELLER_ID)
        .order_by()
        .values_list(
            Coalesce(pending_request_count(), 0),
            Coalesce(waiting_thread_count(), 0),
            Coalesce(returns_needing_seller_count(), 0),
        )
    )
    sql, params = query.query.sql_with_params()
    assert params.count(SQL_SELLER_ID) == 1, params  # the seller's id, once
    return sql, params
