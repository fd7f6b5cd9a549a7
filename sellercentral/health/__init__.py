"""
Seller Central home: account health, cancellation and return insights (docs/DESIGN.md §10).

The metrics against their targets are in ``metrics``, the reasons, listings and weekly
trend below them in ``insights``, the return figures and insights in ``returns``; this
module puts them together for the page and says what they were computed from, for the
fragment cache's key (docs/DESIGN.md §13).
"""

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Listing, Seller
from disputes.models import Dispute
from orders.models import Message, Order, OrderEvent
from returns.models import ReturnEvent

from .insights import (
    ListingRow,
    ReasonRow,
    TrendChart,
    cancellations_by_reason,
    listings_causing_cancellations,
    trend_chart,
    weekly_cancellation_rate,
)
from .metrics import (
    Metric,
    cancellation_rate,
    late_shipment_rates,
    messages_answered,
    order_defect_rate,
)
from .returns import (
    ReturnedListingRow,
    ReturnReasonRow,
    listings_returned_most,
    return_metrics,
    returns_by_reason,
)


@dataclass(frozen=True)
class AccountHealth:
    cancellation_rate: Metric
    late_shipment_rates: list[Metric]
    order_defect_rate: Metric
    messages_answered: Metric
    return_metrics: list[Metric]
    reasons: list[ReasonRow]
    listings: list[ListingRow]
    trend: TrendChart
    return_reasons: list[ReturnReasonRow]
    returned_listings: list[ReturnedListingRow]
    insights_since: datetime

    @property
    def metrics(self) -> list[Metric]:
        return [
            self.cancellation_rate,
            *self.late_shipment_rates,
            self.order_defect_rate,
            self.messages_answered,
            *self.return_metrics,
        ]


def account_health(seller: Seller, now: datetime | None = None) -> AccountHealth:
    """Everything the Seller Central home shows: ten aggregate queries, however many orders."""
    now = now or timezone.now()
    weeks = weekly_cancellation_rate(seller, now)
    since = weeks[0].start
    return AccountHealth(
        cancellation_rate=cancellation_rate(seller, now),
        late_shipment_rates=late_shipment_rates(seller, now),
        order_defect_rate=order_defect_rate(seller, now),
        messages_answered=messages_answered(seller, now),
        return_metrics=return_metrics(seller, now),
        reasons=cancellations_by_reason(seller, since),
        listings=listings_causing_cancellations(seller, since),
        trend=trend_chart(weeks),
        return_reasons=returns_by_reason(seller, since),
        returned_listings=listings_returned_most(seller, since),
        insights_since=since,
    )


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def health_version(seller: Seller) -> tuple[object, ...]:
    """
    The latest change of everything the figures are computed from (one query): the
    seller's orders (``updated_at`` moves with every cancellation, shipment and status),
    their messages, the listings' titles, their cases (a case decided or changed
    moves the defect rate) and their returns. The figures also move with time alone
    (the windows slide): the home page recomputes them every few minutes anyway
    (``sellercentral.views.home.HEALTH_REFRESH_SECONDS``).
    """
    sql, params = _health_version_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [seller.pk if p == SQL_SELLER_ID else p for p in params])
        return tuple(cursor.fetchone())


@functools.cache
def _health_version_sql() -> tuple[str, tuple[Any, ...]]:
    """
    The version query's SQL, built once per process: only the seller's id changes, and
    building its subqueries costs twice what running them does (this runs on every
    load of the home page).
    """
    seller_ref = OuterRef("pk")
    parts = {  # the orders' first: ``latest_order_change``
        "latest_order": _latest(Order.objects.filter(seller=seller_ref), "updated_at"),
        "latest_message": _latest(Message.objects.filter(order__seller=seller_ref), "pk"),
        "latest_listing": _latest(Listing.objects.filter(seller=seller_ref), "updated_at"),
        "latest_cases": _latest(Dispute.objects.filter(seller=seller_ref), "updated_at"),
        # Every step of a return writes its order's timeline: its latest row is the
        # returns' latest change.
        "latest_return": _latest(
            OrderEvent.objects.filter(order__seller=seller_ref, type__in=ReturnEvent.values),
            "pk",
        ),
    }
    query = Seller.objects.filter(pk=SQL_SELLER_ID).annotate(**parts).values_list(*parts)
    sql, params = query.query.sql_with_params()
    assert params.count(SQL_SELLER_ID) == 1, params  # the seller's id, once
    return sql, params


def latest_order_change(version: tuple[object, ...]) -> datetime | None:
    """
    The latest ``updated_at`` of the seller's orders, from ``health_version``'s answer:
    the key of their status counts too (``orders.selectors.order_counts_as_of``).
    """
    latest = version[0]
    assert latest is None or isinstance(latest, datetime), latest
    return latest


SQL_SELLER_ID = -1  # a placeholder no seller has, replaced by the real id at each run
