"""
Seller Central home: account health and cancellation insights (docs/DESIGN.md §10).

The metrics against their targets are in ``metrics``, the reasons, listings and weekly
trend below them in ``insights``; this module puts them together for the page and
says what they were computed from, for the fragment cache's key (docs/DESIGN.md §13).
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Listing, Seller
from disputes.models import Dispute
from orders.models import Message, Order

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


@dataclass(frozen=True)
class AccountHealth:
    cancellation_rate: Metric
    late_shipment_rates: list[Metric]
    order_defect_rate: Metric
    messages_answered: Metric
    reasons: list[ReasonRow]
    listings: list[ListingRow]
    trend: TrendChart
    insights_since: datetime

    @property
    def metrics(self) -> list[Metric]:
        return [
            self.cancellation_rate,
            *self.late_shipment_rates,
            self.order_defect_rate,
            self.messages_answered,
        ]


def account_health(seller: Seller, now: datetime | None = None) -> AccountHealth:
    """Everything the Seller Central home shows: seven aggregate queries, however many orders."""
    now = now or timezone.now()
    weeks = weekly_cancellation_rate(seller, now)
    since = weeks[0].start
    return AccountHealth(
        cancellation_rate=cancellation_rate(seller, now),
        late_shipment_rates=late_shipment_rates(seller, now),
        order_defect_rate=order_defect_rate(seller, now),
        messages_answered=messages_answered(seller, now),
        reasons=cancellations_by_reason(seller, since),
        listings=listings_causing_cancellations(seller, since),
        trend=trend_chart(weeks),
        insights_since=since,
    )


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def health_version(seller: Seller) -> tuple[object, ...]:
    """
    The latest change of everything the figures are computed from (one query): the
    seller's orders (``updated_at`` moves with every cancellation, shipment and status),
    their messages, the listings' titles, and their cases (a case decided or changed
    moves the defect rate). The figures also move with time alone (the windows slide):
    the home page recomputes them every few minutes anyway
    (``sellercentral.views.home.HEALTH_REFRESH_SECONDS``).
    """
    with connection.cursor() as cursor:
        cursor.execute(_health_version_sql(), [seller.pk])
        return tuple(cursor.fetchone())


@functools.cache
def _health_version_sql() -> str:
    """
    The version query's SQL, built once per process: only the seller's id changes, and
    building its subqueries costs twice what running them does (this runs on every
    load of the home page).
    """
    seller_ref = OuterRef("pk")
    parts = {
        "latest_order": _latest(Order.objects.filter(seller=seller_ref), "updated_at"),
        "latest_message": _latest(Message.objects.filter(order__seller=seller_ref), "pk"),
        "latest_listing": _latest(Listing.objects.filter(seller=seller_ref), "updated_at"),
        "latest_cases": _latest(Dispute.objects.filter(seller=seller_ref), "updated_at"),
    }
    query = Seller.objects.filter(pk=SQL_SELLER_ID).annotate(**parts).values_list(*parts)
    sql, params = query.query.sql_with_params()
    assert params == (SQL_SELLER_ID,), params  # the seller's id is the only parameter
    return sql


SQL_SELLER_ID = -1  # a placeholder no seller has, replaced by the real id at each run
