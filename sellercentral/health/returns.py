"""
Account health's return figures (docs/DESIGN.md §10), as Amazon measures them over
60 days: returns answered late, and the return dissatisfaction rate; and the return
insights below the cancellation ones: returns by reason and the listings returned
most, each with the same prevention actions as cancellations.

Each figure is one SQL aggregate scoped to the seller, so the page makes the same
queries for 10 returns as for 10,000 (pinned by tests/sellercentral/test_health.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from catalog.models import Seller
from disputes.models import Dispute
from orders.models import ActorRole
from returns.models import (
    SELLER_CLOSE_REASONS,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

from .insights import DESCRIBE, HANDLING, PRICING, InsightListing, rank_listings
from .metrics import Metric

RETURN_DAYS = 60
RETURN_LATE_TARGET = Decimal("10")  # percent of return requests answered late, below
RETURN_DISSATISFACTION_TARGET = Decimal("10")  # percent, below

# What to do about each reason a buyer returns for: the insights' recommended action.
CHECK = "Check each item works before it ships, and take faulty stock off sale."
PACK = "Pack more securely: padding, a sturdier box, fragile items wrapped one by one."
PICK = "Check each parcel against the order's items before you seal it."
CHANGED_PLANS = "Nothing to fix: the buyer changed their plans."
RETURN_ACTIONS = {
    ReturnReason.NO_LONGER_NEEDED: CHANGED_PLANS,
    ReturnReason.BOUGHT_BY_MISTAKE: DESCRIBE,
    ReturnReason.BETTER_PRICE: PRICING,
    ReturnReason.ARRIVED_TOO_LATE: HANDLING,
    ReturnReason.DEFECTIVE: CHECK,
    ReturnReason.DAMAGED_IN_TRANSIT: PACK,
    ReturnReason.WRONG_ITEM: PICK,
    ReturnReason.NOT_AS_DESCRIBED: DESCRIBE,
    ReturnReason.MISSING_PARTS: DESCRIBE,
}


# --- The metrics ----------------------------------------------------------------------------
def answered_late(now: datetime) -> Q:
    """
    A request answered after its 48 hours: authorized by the system (nobody answered),
    authorized or closed by the seller after ``respond_by``, or still unanswered past it.
    """
    closed_by_seller_late = Q(close_reason__in=SELLER_CLOSE_REASONS, closed_at__gt=F("respond_by"))
    return (
        Q(authorized_by=ActorRole.SYSTEM)
        | Q(authorized_at__gt=F("respond_by"))
        | closed_by_seller_late
        | unanswered_past(now)
    )


def unanswered_past(now: datetime) -> Q:
    return Q(status=ReturnStatus.REQUESTED, respond_by__lt=now)


def answer_due(now: datetime) -> Q:
    """
    A request that has its answer, or is past its time for one. A request still in its
    48 hours is not late yet; a returnless refund or a request the buyer withdrew before
    the seller answered asked nothing of the seller.
    """
    return (
        Q(authorized_at__isnull=False)
        | Q(close_reason__in=SELLER_CLOSE_REASONS)
        | unanswered_past(now)
    )


def refused_then_decided_for_buyer() -> Q:
    """A return the seller closed that staff later decided for the buyer: its case, won."""
    case_won = Dispute.objects.filter(
        return_request=OuterRef("pk"), status=Dispute.Status.RESOLVED_FOR_BUYER
    )
    return Q(close_reason__in=SELLER_CLOSE_REASONS) & Q(Exists(case_won))


def return_metrics(seller: Seller, now: datetime) -> list[Metric]:
    """Returns answered late, and the return dissatisfaction rate: one aggregate query."""
    young = Q(status=ReturnStatus.REQUESTED, respond_by__gte=now)
    totals = ReturnRequest.objects.filter(
        order__seller=seller, requested_at__gte=now - timedelta(days=RETURN_DAYS)
    ).aggregate(
        returns=Count("pk"),
        due=Count("pk", filter=answer_due(now)),
        late=Count("pk", filter=answered_late(now)),
        waiting=Count("pk", filter=young),
        dissatisfied=Count("pk", filter=refused_then_decided_for_buyer()),
    )
    late_words = f"{totals['late']} of {totals['due']} return requests answered after 48 hours"
    if totals["waiting"]:
        late_words += f"; {totals['waiting']} more waiting for your answer, not late yet"
    return [
        Metric(
            name="Return requests answered late",
            days=RETURN_DAYS,
            numerator=totals["late"],
            denominator=totals["due"],
            target=RETURN_LATE_TARGET,
            counts=late_words,
        ),
        Metric(
            name="Return dissatisfaction rate",
            days=RETURN_DAYS,
            numerator=totals["dissatisfied"],
            denominator=totals["returns"],
            target=RETURN_DISSATISFACTION_TARGET,
            counts=(
                f"{totals['dissatisfied']} of {totals['returns']} returns closed by you "
                "and then decided for the buyer in a case"
            ),
        ),
    ]


# --- The insights ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnReasonRow:
    reason: str
    label: str
    returns: int
    seller_fault: int
    refunded: Decimal
    action: str


class ReturnedListingRow(InsightListing):
    """A listing in returns."""

    def reason_label(self, reason: str) -> str:
        return ReturnReason(reason).label

    def action_of(self, reason: str) -> str:
        return RETURN_ACTIONS.get(ReturnReason(reason), "")

    @property
    def returns(self) -> int:
        return self.times


def returns_by_reason(seller: Seller, since: datetime) -> list[ReturnReasonRow]:
    """Returns requested since ``since`` by reason, with what was refunded (one query)."""
    rows = (
        ReturnRequest.objects.filter(order__seller=seller, requested_at__gte=since)
        .values("reason")
        .annotate(
            returns=Count("pk"),
            seller_fault=Count("pk", filter=Q(seller_fault=True)),
            refunded=Sum("refund_amount", filter=Q(status=ReturnStatus.REFUNDED)),
        )
        .order_by("-returns", "reason")
    )
    return [
        ReturnReasonRow(
            reason=row["reason"],
            label=ReturnReason(row["reason"]).label,
            returns=row["returns"],
            seller_fault=row["seller_fault"],
            refunded=row["refunded"] or Decimal("0.00"),
            action=RETURN_ACTIONS.get(ReturnReason(row["reason"]), ""),
        )
        for row in rows
    ]


def listings_returned_most(seller: Seller, since: datetime) -> list[ReturnedListingRow]:
    """The listings most often in returns, with their main reason (one query)."""
    rows = (
        ReturnLine.objects.filter(
            return_request__order__seller=seller, return_request__requested_at__gte=since
        )
        .values("order_line__listing_id", "order_line__listing__title", "return_request__reason")
        .annotate(times=Count("return_request", distinct=True), units=Sum("quantity"))
        .order_by()
    )
    return rank_listings(ReturnedListingRow, rows, reason_key="return_request__reason")
