"""
Account health's metrics, each against its target (docs/DESIGN.md §10): the
cancellation rate, the late shipment rates, the order defect rate and the buyer
messages answered in time.

Each number is one SQL aggregate scoped to the seller, so the page makes the same
queries for 10 orders as for 10,000 (pinned by tests/sellercentral/test_health.py).
The rates and statuses are plain Python over the aggregates, so they can be checked
against hand-computed fixtures.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.db.models import Count, Exists, F, OuterRef, Q

from cancellations.models import Cancellation
from catalog.models import Seller
from disputes import selectors as disputes
from orders.models import ActorRole, Message, Order, Shipment
from orders.selectors import MESSAGE_ANSWER_HOURS, seller_reply

# The windows and targets of docs/DESIGN.md §10: constants, not settings.
CANCELLATION_RATE_DAYS = 7
CANCELLATION_RATE_TARGET = Decimal("2.5")  # percent, below
LATE_SHIPMENT_DAYS = (10, 30)
LATE_SHIPMENT_TARGET = Decimal("4")  # percent, below
ORDER_DEFECT_DAYS = 60
ORDER_DEFECT_TARGET = Decimal("1")  # percent, below
MESSAGES_DAYS = 30
MESSAGES_TARGET = Decimal("90")  # percent answered within 24 h, at least


class Status(StrEnum):
    """Where a rate stands against its target, as the badge and the chart colour it."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"  # nothing to measure yet

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.GREEN: "Good",
    Status.AMBER: "At risk",
    Status.RED: "Poor",
    Status.NONE: "No data yet",
}


def percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


def status_of(rate: Decimal | None, target: Decimal, *, higher_is_better: bool = False) -> Status:
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

    @property
    def rate(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def status(self) -> Status:
        return status_of(self.rate, self.target, higher_is_better=self.higher_is_better)

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def target_label(self) -> str:
        return f"{'at least' if self.higher_is_better else 'under'} {self.target} %"


# --- The aggregates ------------------------------------------------------------------------
def counted_cancellation() -> Exists:
    """Whether the outer order has a cancellation counted against its seller."""
    return Exists(Cancellation.objects.filter(order=OuterRef("pk"), counts_against_seller=True))


def cancellation_rate(seller: Seller, now: datetime) -> Metric:
    """Orders placed in the last 7 days with a cancellation that counts / those orders."""
    totals = Order.objects.filter(
        seller=seller, placed_at__gte=now - timedelta(days=CANCELLATION_RATE_DAYS)
    ).aggregate(orders=Count("pk"), cancelled=Count("pk", filter=Q(counted_cancellation())))
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
    """Orders with a case decided for the buyer, as the Resolution Center counts them."""
    rate = disputes.order_defect_rate(seller, days=ORDER_DEFECT_DAYS, now=now)
    return defect_metric(defects=rate.defects, orders=rate.orders)


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
