"""
Cancellation insights below account health's metrics (docs/DESIGN.md §10): the
reasons, the listings that cause most cancellations and a weekly trend, each one
aggregate query over the last 12 weeks, and the trend drawn as SVG geometry.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from cancellations.models import Cancellation, CancellationLine, Reason
from catalog.models import Seller
from orders.models import Order

from .metrics import CANCELLATION_RATE_TARGET, Status, counted_cancellation, percent, status_of

TREND_WEEKS = 12
TOP_LISTINGS = 5

# What to do about each cause: what the insights table recommends.
RESTOCK = "Restock, or lower the stock you show so it matches the shelf."
DESCRIBE = "Fix the description (sizes, variants, what is included) so buyers order the right item."
HANDLING = "Raise the handling days to promise only what you can keep, or ship sooner."
PRICING = "Fix pricing: check the price and shipping cost against similar listings."
# The actions a listing's edit page does: the insights link them straight to it.
LISTING_ACTIONS = {RESTOCK, DESCRIBE}
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


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    cancellations: int
    counted: int
    amount: Decimal
    action: str


@dataclass
class InsightListing:
    """
    A listing in the insights: how many cancellations (or returns) it was in, the units,
    and its main reason with what to do about it. ``reason_label`` and ``action_of`` say
    whose reasons they are.
    """

    listing_id: int
    title: str
    times: int = 0
    units: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def reason_label(self, reason: str) -> str:
        raise NotImplementedError

    def action_of(self, reason: str) -> str:
        raise NotImplementedError

    @property
    def _top_reason(self) -> str:
        """The most frequent reason; a tie goes to the first in alphabetical order."""
        return max(sorted(self.by_reason), key=lambda r: self.by_reason[r])

    @property
    def main_reason(self) -> str:
        return self.reason_label(self._top_reason)

    @property
    def action(self) -> str:
        return self.action_of(self._top_reason)

    @property
    def fixed_on_listing(self) -> bool:
        """Whether the action is done on the listing's edit page (its stock, its description)."""
        return self.action in LISTING_ACTIONS


class ListingRow(InsightListing):
    """A listing in cancellations."""

    def reason_label(self, reason: str) -> str:
        return Reason(reason).label

    def action_of(self, reason: str) -> str:
        return RECOMMENDED_ACTIONS.get(Reason(reason), "")

    @property
    def cancellations(self) -> int:
        return self.times


def rank_listings[Row: InsightListing](
    row_class: type[Row], rows: Iterable[Mapping[str, Any]], *, reason_key: str
) -> list[Row]:
    """
    The top listings from aggregate rows (one per listing and reason: its ``times`` and
    ``units``), most often first, then most units. One cancellation or return has one
    reason, so the per-reason counts add up to the listing's.
    """
    listings: dict[int, Row] = {}
    for row in rows:
        listing_id = row["order_line__listing_id"]
        listing = listings.setdefault(
            listing_id, row_class(listing_id, row["order_line__listing__title"])
        )
        listing.times += row["times"]
        listing.units += row["units"]
        listing.by_reason[row[reason_key]] = row["times"]
    ranked = sorted(listings.values(), key=lambda r: (-r.times, -r.units, r.title))
    return ranked[:TOP_LISTINGS]


@dataclass(frozen=True)
class Week:
    start: datetime
    orders: int
    cancelled: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.cancelled, self.orders)


# --- The aggregates ------------------------------------------------------------------------
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
            action=RECOMMENDED_ACTIONS.get(Reason(row["reason"]), ""),
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
        .annotate(times=Count("cancellation", distinct=True), units=Sum("quantity"))
        .order_by()
    )
    return rank_listings(ListingRow, rows, reason_key="cancellation__reason")


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
        .annotate(orders=Count("pk"), cancelled=Count("pk", filter=Q(counted_cancellation())))
        .order_by("week")
    )
    by_week = {timezone.localtime(row["week"]).date(): row for row in rows}
    weeks = []
    for i in range(TREND_WEEKS):
        start = first + timedelta(weeks=i)
        row = by_week.get(timezone.localtime(start).date(), {"orders": 0, "cancelled": 0})
        weeks.append(Week(start=start, orders=row["orders"], cancelled=row["cancelled"]))
    return weeks


# --- The trend chart ------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    week: Week
    x: float
    y: float
    height: float
    status: Status


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
