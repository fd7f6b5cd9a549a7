"""
The queries behind the Resolution Center, the dispute admin and the seller's health
(its window is account health's, ``sellercentral.health.metrics.ORDER_DEFECT_DAYS``).

Cases are scoped to the person asking (the buyer's or the seller's own), so a page
can never show someone else's case; each query names the relations its page needs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from cancellations.models import CancellationRequest
from catalog.models import Seller
from orders.models import Order, OrderLine
from orders.selectors import rows_of_orders
from payments.models import ZERO, PaymentTransaction
from payments.selectors import money_position
from returns.models import SELLER_CLOSE_REASONS, ReturnRequest, ReturnStatus

from .models import ACTIVE_STATES, Dispute, DisputeMessage
from .rules import FINAL_STATES, OpeningFacts, Release


# --- Money ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoneySummary:
    """An order's payment as a case sees it: what was charged, returned, still returnable."""

    captured: Decimal
    refunded: Decimal
    pending_refunds: Decimal
    on_hold: Decimal  # authorized, not captured, not claimed by a pending void or capture
    # Charged for units that have not shipped: kept for their cancellation, which refunds
    # them (a payment captured at checkout), so a case's refund never takes that money.
    unshipped: Decimal = ZERO

    @property
    def refundable(self) -> Decimal:
        """Charged for what shipped, not refunded nor claimed by a pending refund: a case's most."""
        return max(self.captured - self.refunded - self.pending_refunds - self.unshipped, ZERO)

    @property
    def seen(self) -> "MoneySeen":
        return MoneySeen(refundable=self.refundable, unshipped=self.unshipped)


@dataclass(frozen=True)
class MoneySeen:
    """The figures a staff decision rests on, as its confirmation page showed them."""

    refundable: Decimal
    unshipped: Decimal


def money_summary(order: Order) -> MoneySummary:
    """From the payment's totals, its pending transactions (one query) and the order's lines."""
    money = money_position(order.payment)
    open_value = sum((line.unit_price * line.quantity_open for line in order.lines.all()), ZERO)
    return MoneySummary(
        captured=money.captured,
        refunded=money.refunded,
        pending_refunds=money.refunding,
        on_hold=money.unclaimed_hold,
        unshipped=max(open_value - money.unclaimed_hold, ZERO),
    )


def offer_refund(dispute: Dispute, money: MoneySummary) -> Decimal | None:
    """
    What accepting the case's offer refunds now: everything still refundable for a full
    offer, the amount for a partial one; None without an offer, or when that amount is
    more than can still be refunded (the buyer asks for a new offer). The page shows it,
    the Accept form carries it, and ``accept_offer`` refunds it or nothing.
    """
    if not dispute.has_offer:
        return None
    if dispute.offer_kind == Dispute.OfferKind.FULL:
        return money.refundable
    amount = dispute.offer_amount
    if amount is None or amount > money.refundable:
        return None
    return amount


# --- Resolution Center ------------------------------------------------------------------------
def _parties(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return queryset.select_related("order", "buyer", "seller", "seller__user")


def cases_opened_by(*, user: User) -> QuerySet[Dispute]:
    """The cases the user opened as a buyer, active first, newest first."""
    return _listed(Dispute.objects.filter(buyer=user))


def cases_about_store_of(*, user: User) -> QuerySet[Dispute]:
    """The cases buyers opened about the user's store's orders, active first, newest first."""
    return _listed(Dispute.objects.filter(seller__user=user))


def _listed(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return _parties(queryset).order_by("resolved_at", "-created_at", "-pk")


def case_for_party(*, user: User, pk: int) -> Dispute:
    """One of the user's own cases, with its visible messages; DoesNotExist for anyone else's."""
    visible = DisputeMessage.objects.filter(internal=False).select_related("author")
    return (
        _parties(Dispute.objects.filter(Q(buyer=user) | Q(seller__user=user)))
        .select_related("order__payment", "return_request")
        .prefetch_related("order__lines", Prefetch("messages", queryset=visible))
        .get(pk=pk)
    )


# The case page, as either party sees it: the case and what belongs to it (its messages),
# its return, its order with all that belongs to the order, and the order's parties,
# payment and money rows. Another person's case has no rows (the page answers 404).
CASE_PAGE_ROWS = rows_of_orders(
    "order",
    roots=lambda user_id, pk: Dispute.objects.filter(
        Q(buyer_id=user_id) | Q(seller__user_id=user_id), pk=pk
    ),
)


def cases_of_order(order: Order) -> list[Dispute]:
    """An order's cases, newest first (the order page's panel)."""
    return list(Dispute.objects.filter(order=order).order_by("-created_at", "-pk"))


def opening_facts(order: Order, lines: Iterable[OrderLine] | None = None) -> OpeningFacts:
    """
    What ``rules.why_not`` needs to know about the order (four queries): its shipped
    units (from ``lines``, else its prefetched or queried lines), its arrive-by date,
    whether the seller declined a cancellation request, the money given back (and for
    which return), the returns the seller refused, and its earlier cases. The service
    calls it on the rows it locked; the open page without.
    """
    lines = order.lines.all() if lines is None else lines
    cases = list(
        Dispute.objects.filter(order=order)
        .order_by("created_at", "pk")
        .values_list("reason", "status")
    )
    releases = PaymentTransaction.objects.filter(
        payment_id=order.payment_id,
        kind__in=[PaymentTransaction.Kind.VOID, PaymentTransaction.Kind.REFUND],
    ).order_by("created_at", "pk")
    return OpeningFacts(
        paid=order.payment.is_authorized,
        has_open_case=any(status in ACTIVE_STATES for _reason, status in cases),
        shipped_units=sum(line.quantity_shipped for line in lines),
        deliver_by=order.deliver_by,
        cancellation_declined=CancellationRequest.objects.filter(
            order=order, status=CancellationRequest.Status.DECLINED
        ).exists(),
        releases=tuple(
            Release(amount=amount, asked_at=asked_at, return_id=return_of_release(key))
            for amount, asked_at, key in releases.values_list(
                "amount", "created_at", "idempotency_key"
            )
        ),
        final_outcomes={reason: status for reason, status in cases if status in FINAL_STATES},
        refused_returns=tuple(
            ReturnRequest.objects.filter(
                order=order, status=ReturnStatus.CLOSED, close_reason__in=SELLER_CLOSE_REASONS
            )
            .order_by("closed_at", "pk")
            .values_list("pk", flat=True)
        ),
    )


def return_of_release(idempotency_key: str) -> int | None:
    """
    The return a void or refund gives money back for: ``returns.services`` releases
    with the key ``return:<id>``, which payments prefixes with ``void:`` or ``refund:``.
    """
    _kind, _colon, key = idempotency_key.partition(":")
    source, _colon, number = key.partition(":")
    if source == "return" and number.isdigit():
        return int(number)
    return None


# --- Seller account health ---------------------------------------------------------------------
@dataclass(frozen=True)
class DefectRate:
    defects: int
    orders: int
    days: int

    @property
    def percent(self) -> Decimal | None:
        if not self.orders:
            return None
        return (Decimal(100) * self.defects / self.orders).quantize(Decimal("0.1"), ROUND_HALF_UP)


def order_defect_rate(seller: Seller, *, days: int, now: datetime | None = None) -> DefectRate:
    """
    Orders placed in the last ``days`` with a case decided for the buyer / orders placed
    in the last ``days`` (one aggregate query). Counting orders, not cases, keeps the
    rate at most 100 %; a case settled by agreement or withdrawn is not a defect.
    """
    now = now or timezone.now()
    decided_for_buyer = Exists(
        Dispute.objects.filter(order=OuterRef("pk"), status=Dispute.Status.RESOLVED_FOR_BUYER)
    )
    window = Order.objects.filter(seller=seller, placed_at__gte=now - timedelta(days=days))
    totals = window.aggregate(orders=Count("pk"), defects=Count("pk", filter=Q(decided_for_buyer)))
    return DefectRate(defects=totals["defects"], orders=totals["orders"], days=days)
