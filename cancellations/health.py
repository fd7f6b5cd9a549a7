"""
Seller Central home: account health and cancellation insights (docs/DESIGN.md
§10).

Each number is one SQL aggregate scoped to the seller, so the page makes the same
queries for 10 orders as for 10,000 (pinned by tests/cancellations/test_health.py).
The pure parts (rates, statuses, the chart's geometry) are plain Python over the
aggregates, so they can be checked against hand-computed fixtures.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from catalog.models import Listing, Seller
from orders.models import ActorRole, Message, Order, Shipment
from orders.selectors import MESSAGE_ANSWER_HOURS, seller_reply

from .models import Cancellation, CancellationLine, Reason

CANCELLATION_RATE_DAYS = 7
CANCELLATION_RATE_TARGET = Decimal("2.5")  # percent, below
LATE_SHIPMENT_DAYS = (10, 30)
LATE_SHIPMENT_TARGET = Decimal("4")  # percent, below
ORDER_DEFECT_DAYS = 60
ORDER_DEFECT_TARGET = Decimal("1")  # percent, below
MESSAGES_DAYS = 30
MESSAGES_TARGET = Decimal("90")  # percent answered within 24 h, at least
TREND_WEEKS = 12
TOP_LISTINGS = 5

# What to do about each cause: what the insights table recommends.
RESTOCK = "Restock, or lower the stock you show so it matches the shelf."
DESCRIBE = "Fix the description (sizes, variants, what is included) so buyers order the right item."
HANDLING = "Raise the handling days to promise only what you can keep, or ship sooner."
PRICING = "Fix pricing: check the price and shipping cost against similar listings."
RECOMMENDED_ACTIONS = {
    Reason.NO_INVENTORY: RESTOCK,
    Reason.PRICING_ERROR: PRICING,
    Reason.GENERAL_ADJUSTMENT: DESCRIBE,
    Reason.CUSTOMER_EXCHANGE: DESCRIBE,
    Reason.CREATED_BY_MISTAKE: DESCRIBE,
    Reason.ADDRESS_UNDELIVERABLE: "Message the buyer to confirm the address before you cancel.",
    Reason.BUYER_CANCELLED: HANDLING,
    Reason.WOULD_NOT_ARRIVE_ON_TIME: HANDLING,
    Reason.CHANGE_SHIPPING_SPEED: HANDLING,
    Reason.SHIPPING_DELAY: HANDLING,
    Reason.SHIPPING_COST_TOO_HIGH: PRICING,
    Reason.ITEM_PRICE_TOO_HIGH: PRICING,
    Reason.FOUND_CHEAPER: PRICING,
    Reason.CHANGE_SHIPPING_ADDRESS: "Nothing to fix: the buyer changed their plans.",
    Reason.CHANGE_PAYMENT_METHOD: "Nothing to fix: the buyer changed their plans.",
    Reason.PAYMENT_NOT_COMPLETED: "Nothing to fix: the buyer's payment did not go through.",
    Reason.OTHER: "Read the buyers' notes on these orders for what to change.",
    Reason.DISPUTE_RESOLUTION: "Answer buyer messages quickly: most cases start unanswered.",
}


class Status:
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"  # nothing to measure yet

    LABELS = {GREEN: "Good", AMBER: "At risk", RED: "Poor", NONE: "No data yet"}


def percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


def status_of(rate: Decimal | None, target: Decimal, *, higher_is_better: bool = False) -> str:
    """
    Green on the right side of the target. Below-targets turn red at twice the target
    (amber in between); at-least targets turn red 10 points under it.
    """
    if rate is None:
        return Status.NONE
    if higher_is_better:
        if rate >= target:
            return Status.GREEN
        return Status.AMBER if rate >= target - 10 else Status.RED
    if rate < target:
        return Status.GREEN
    return Status.AMBER if rate < 2 * target else Status.RED


@dataclass(frozen=True)
class Metric:
    name: str
    days: int
    numerator: int
    denominator: int
    target: Decimal
    counts: str  # the numbers behind the rate, in words
    higher_is_better: bool = False
    available: bool = True

    @property
    def rate(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def status(self) -> str:
        if not self.available:
            return Status.NONE
        return status_of(self.rate, self.target, higher_is_better=self.higher_is_better)

    @property
    def status_label(self) -> str:
        return "Not available yet" if not self.available else Status.LABELS[self.status]

    @property
    def target_label(self) -> str:
        return f"{'at least' if self.higher_is_better else 'under'} {self.target} %"


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    cancellations: int
    counted: int
    amount: Decimal
    action: str


@dataclass
class ListingRow:
    listing_id: int
    title: str
    cancellations: int = 0
    units: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def _top_reason(self) -> str:
        """The most frequent reason; a tie goes to the first in alphabetical order."""
        return max(sorted(self.by_reason), key=lambda r: self.by_reason[r])

    @property
    def main_reason(self) -> str:
        return Reason(self._top_reason).label

    @property
    def action(self) -> str:
        return RECOMMENDED_ACTIONS.get(self._top_reason, "")


@dataclass(frozen=True)
class Week:
    start: datetime
    orders: int
    cancelled: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.cancelled, self.orders)


# --- The aggregates ------------------------------------------------------------------------
def _counted_cancellation():
    return Exists(Cancellation.objects.filter(order=OuterRef("pk"), counts_against_seller=True))


def cancellation_rate(seller: Seller, now: datetime) -> Metric:
    """Orders placed in the last 7 days with a cancellation that counts / those orders."""
    totals = Order.objects.filter(
        seller=seller, placed_at__gte=now - timedelta(days=CANCELLATION_RATE_DAYS)
    ).aggregate(orders=Count("pk"), cancelled=Count("pk", filter=Q(_counted_cancellation())))
    return Metric(
        name="Cancellation rate",
        days=CANCELLATION_RATE_DAYS,
        numerator=totals["cancelled"],
        denominator=totals["orders"],
        target=CANCELLATION_RATE_TARGET,
        counts=f"{totals['cancelled']} of {totals['orders']} orders cancelled by you",
    )


def late_shipment_rates(seller: Seller, now: datetime) -> list[Metric]:
    """Orders with a shipment confirmed in the window after their ship-by date / orders shipped."""
    late = Q(shipped_at__gt=F("order__ship_by"))
    windows = {days: Q(shipped_at__gte=now - timedelta(days=days)) for days in LATE_SHIPMENT_DAYS}
    totals = Shipment.objects.filter(
        order__seller=seller, shipped_at__gte=now - timedelta(days=max(LATE_SHIPMENT_DAYS))
    ).aggregate(
        **{f"shipped_{d}": Count("order", distinct=True, filter=w) for d, w in windows.items()},
        **{f"late_{d}": Count("order", distinct=True, filter=w & late) for d, w in windows.items()},
    )
    return [
        Metric(
            name="Late shipment rate",
            days=days,
            numerator=totals[f"late_{days}"],
            denominator=totals[f"shipped_{days}"],
            target=LATE_SHIPMENT_TARGET,
            counts=f"{totals[f'late_{days}']} of {totals[f'shipped_{days}']} shipped orders late",
        )
        for days in LATE_SHIPMENT_DAYS
    ]


# Metrics measured by apps above this one register here, the way order panels do
# (imports point down): the Resolution Center provides the order defect rate.
MetricSource = Callable[[Seller, datetime], Metric]
_sources: dict[str, MetricSource] = {}


def metric_source(name: str) -> Callable[[MetricSource], MetricSource]:
    def register(function: MetricSource) -> MetricSource:
        _sources[name] = function
        return function

    return register


# What a source's figures are computed from, for ``health_version``: a subquery over
# ``OuterRef("pk")``, the seller, giving the latest change of its rows.
VersionSource = Callable[[], Subquery]
_version_sources: dict[str, VersionSource] = {}


def version_source(name: str) -> Callable[[VersionSource], VersionSource]:
    def register(function: VersionSource) -> VersionSource:
        _version_sources[name] = function
        return function

    return register


def defect_metric(*, defects: int, orders: int) -> Metric:
    """The order defect rate as the dashboard shows it, from its two counts."""
    return Metric(
        name="Order defect rate",
        days=ORDER_DEFECT_DAYS,
        numerator=defects,
        denominator=orders,
        target=ORDER_DEFECT_TARGET,
        counts=f"{defects} of {orders} orders with a case decided for the buyer",
    )


def order_defect_rate(seller: Seller, now: datetime) -> Metric:
    """From the Resolution Center when it is installed; never a made-up number."""
    source = _sources.get("order_defect_rate")
    if source is not None:
        return source(seller, now)
    return Metric(
        name="Order defect rate",
        days=ORDER_DEFECT_DAYS,
        numerator=0,
        denominator=0,
        target=ORDER_DEFECT_TARGET,
        counts="Measured from buyer cases in the Resolution Center, which is not installed.",
        available=False,
    )


def messages_answered(seller: Seller, now: datetime) -> Metric:
    """
    Buyer messages received in the last 30 days that the seller answered within 24
    hours / those messages, less the ones still within their 24 hours unanswered (not
    late yet: they count once answered or once their time is up). A message left
    unanswered past its 24 hours is late, as is one answered after them. The messages
    inbox (``orders.selectors.waiting_threads_for_seller``) lists the unanswered ones.
    """
    window = timedelta(hours=MESSAGE_ANSWER_HOURS)
    reply_in_time = seller_reply(within=window)
    young = Q(created_at__gt=now - window)
    totals = Message.objects.filter(
        order__seller=seller,
        author_role=ActorRole.BUYER,
        created_at__gte=now - timedelta(days=MESSAGES_DAYS),
    ).aggregate(
        answered=Count("pk", filter=Q(reply_in_time)),
        due=Count("pk", filter=Q(reply_in_time) | ~young),
        unanswered_late=Count("pk", filter=~young & ~Q(seller_reply())),
        waiting=Count("pk", filter=young & ~Q(reply_in_time)),
    )
    return Metric(
        name="Buyer messages answered within 24 hours",
        days=MESSAGES_DAYS,
        numerator=totals["answered"],
        denominator=totals["due"],
        target=MESSAGES_TARGET,
        counts=message_counts(**totals),
        higher_is_better=True,
    )


def message_counts(*, answered: int, due: int, unanswered_late: int, waiting: int) -> str:
    """The messages metric's numbers in words, the unanswered ones said apart."""
    if due:
        words = f"{answered} of {due} buyer messages answered in time"
        if unanswered_late:
            words += f" ({unanswered_late} still unanswered)"
    elif waiting:
        return f"No buyer message due yet; {waiting} waiting for your answer, not late yet"
    else:
        return "No buyer messages to answer"
    if waiting:
        words += f"; {waiting} more waiting for your answer, not late yet"
    return words


def cancellations_by_reason(seller: Seller, since: datetime) -> list[ReasonRow]:
    rows = (
        Cancellation.objects.filter(order__seller=seller, created_at__gte=since)
        .values("reason")
        .annotate(
            cancellations=Count("pk"),
            counted=Count("pk", filter=Q(counts_against_seller=True)),
            amount=Sum("refund_amount"),
        )
        .order_by("-cancellations", "reason")
    )
    return [
        ReasonRow(
            reason=row["reason"],
            label=Reason(row["reason"]).label,
            cancellations=row["cancellations"],
            counted=row["counted"],
            amount=row["amount"],
            action=RECOMMENDED_ACTIONS.get(row["reason"], ""),
        )
        for row in rows
    ]


def listings_causing_cancellations(seller: Seller, since: datetime) -> list[ListingRow]:
    """The listings most often in cancellations, with their main reason (one query)."""
    rows = (
        CancellationLine.objects.filter(
            cancellation__order__seller=seller, cancellation__created_at__gte=since
        )
        .values("order_line__listing_id", "order_line__listing__title", "cancellation__reason")
        .annotate(cancellations=Count("cancellation", distinct=True), units=Sum("quantity"))
        .order_by()
    )
    listings: dict[int, ListingRow] = {}
    for row in rows:
        listing_id = row["order_line__listing_id"]
        listing = listings.setdefault(
            listing_id, ListingRow(listing_id, row["order_line__listing__title"])
        )
        # A cancellation has one reason, so per-reason counts add up to the listing's.
        listing.cancellations += row["cancellations"]
        listing.units += row["units"]
        listing.by_reason[row["cancellation__reason"]] = row["cancellations"]
    ranked = sorted(listings.values(), key=lambda r: (-r.cancellations, -r.units, r.title))
    return ranked[:TOP_LISTINGS]


def week_start(moment: datetime) -> datetime:
    """Midnight on the Monday of ``moment``'s week, in the current time zone (as TruncWeek)."""
    local = timezone.localtime(moment)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def weekly_cancellation_rate(seller: Seller, now: datetime) -> list[Week]:
    """The last 12 weeks (this one included), oldest first; a week without orders is 0 / 0."""
    first = week_start(now) - timedelta(weeks=TREND_WEEKS - 1)
    rows = (
        Order.objects.filter(seller=seller, placed_at__gte=first)
        .annotate(week=TruncWeek("placed_at"))
        .values("week")
        .annotate(orders=Count("pk"), cancelled=Count("pk", filter=Q(_counted_cancellation())))
        .order_by("week")
    )
    by_week = {timezone.localtime(row["week"]).date(): row for row in rows}
    weeks = []
    for i in range(TREND_WEEKS):
        start = first + timedelta(weeks=i)
        row = by_week.get(timezone.localtime(start).date(), {"orders": 0, "cancelled": 0})
        weeks.append(Week(start=start, orders=row["orders"], cancelled=row["cancelled"]))
    return weeks


# --- The page --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    week: Week
    x: float
    y: float
    height: float
    status: str


@dataclass(frozen=True)
class TrendChart:
    """The trend as SVG geometry (drawn by the template, no JavaScript, no CDN)."""

    bars: list[Bar]
    width: int
    height: int
    target_y: float
    top: Decimal  # the rate at the top of the chart, percent
    bar_width: float


def trend_chart(weeks: list[Week], *, width: int = 600, height: int = 160) -> TrendChart:
    rates = [week.rate or Decimal(0) for week in weeks]
    # Room above the target line and the tallest bar, in whole percents.
    top = max([CANCELLATION_RATE_TARGET * 2, *rates]).to_integral_value(rounding="ROUND_CEILING")
    slot = width / len(weeks)
    bars = []
    for i, (week, rate) in enumerate(zip(weeks, rates, strict=True)):
        bar_height = float(rate / top) * height
        bars.append(
            Bar(
                week=week,
                x=round(i * slot + slot * 0.15, 1),
                y=round(height - bar_height, 1),
                height=round(bar_height, 1),
                status=status_of(week.rate, CANCELLATION_RATE_TARGET),
            )
        )
    target_y = round(height - float(CANCELLATION_RATE_TARGET / top) * height, 1)
    return TrendChart(bars, width, height, target_y, top, round(slot * 0.7, 1))


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


def _latest(queryset, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def health_version(seller: Seller) -> tuple:
    """
    The latest change of everything the figures are computed from (one query): the
    seller's orders (``updated_at`` moves with every cancellation, shipment and status),
    their messages, the listings' titles, and what registered sources add (cases). The
    figures also move with time alone (the windows slide): the home page recomputes
    them every few minutes anyway (``seller_views.HEALTH_REFRESH_SECONDS``).
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
        **{f"latest_{name}": source() for name, source in sorted(_version_sources.items())},
    }
    query = Seller.objects.filter(pk=SQL_SELLER_ID).annotate(**parts).values_list(*parts)
    sql, params = query.query.sql_with_params()
    assert params == (SQL_SELLER_ID,), params  # the seller's id is the only parameter
    return sql


SQL_SELLER_ID = -1  # a placeholder no seller has, replaced by the real id at each run
