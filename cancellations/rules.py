"""
Who may cancel what, when (docs/DESIGN.md §4). Pure functions of an order and
its lines, so the page that shows the button and the service that acts under the
lock ask the very same question.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from core import pagecache
from orders.models import ActorRole, Order, OrderLine, OrderStatus

from .models import CancellationRequest, Reason


class BuyerMode(StrEnum):
    DIRECT = "direct"  # cancelled at once
    REQUEST = "request"  # the seller is asked


def open_units(lines: Iterable[OrderLine]) -> int:
    return sum(line.quantity_open for line in lines)


def seller_can_cancel(order: Order, lines: Iterable[OrderLine]) -> bool:
    """Whether the seller's Cancel buttons show and the cancel page opens."""
    return order.is_cancellable_state and any(line.quantity_open for line in lines)


def requested_units(cancellation_request: CancellationRequest) -> dict[int, int]:
    """Order line id → units the buyer asked to cancel (its lines prefetched)."""
    asked: dict[int, int] = {}
    for request_line in cancellation_request.lines.all():
        asked[request_line.order_line_id] = (
            asked.get(request_line.order_line_id, 0) + request_line.quantity
        )
    return asked


def direct_cancel_deadline(order: Order) -> datetime:
    return order.placed_at + timedelta(minutes=settings.BUYER_DIRECT_CANCEL_MINUTES)


def buyer_mode(
    order: Order, lines: Iterable[OrderLine], now: datetime | None = None
) -> BuyerMode | None:
    """
    How the buyer may cancel now: directly, by request, or not at all (None).

    Directly while nothing can ship (payment pending or failed), within the first
    minutes of an unshipped order, and at any time once the order is late (the
    FTC delay rule: a late order may always be cancelled at no cost).
    """
    if open_units(lines) == 0:
        return None
    return buyer_mode_of_open_order(order, now)


def buyer_mode_of_open_order(order: Order, now: datetime | None = None) -> BuyerMode | None:
    """
    ``buyer_mode`` without the lines, for an order whose state says units are still
    open (an order moves on to shipped or cancelled once none are): Your Orders' cards.
    """
    now = now or timezone.now()
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED):
        return BuyerMode.DIRECT
    if not order.awaiting_shipment:
        return None
    # A page showing the answer changes when the order turns late or the window closes.
    pagecache.expires(order.ship_by, direct_cancel_deadline(order))
    if order.ship_by < now:
        return BuyerMode.DIRECT
    if order.status == OrderStatus.UNSHIPPED and now <= direct_cancel_deadline(order):
        return BuyerMode.DIRECT
    return BuyerMode.REQUEST


def counts_against_seller(*, reason: str, initiator: str, has_request: bool) -> bool:
    """
    Seller-initiated cancellations count, except "Buyer cancelled" after a real buyer
    request; the system's shipping-delay cancellations count; the buyer's own
    cancellations, unpaid orders and staff decisions do not.
    """
    if initiator == ActorRole.SELLER:
        return not (reason == Reason.BUYER_CANCELLED and has_request)
    if initiator == ActorRole.SYSTEM:
        return reason == Reason.SHIPPING_DELAY
    return False


# --- Seller Central ---------------------------------------------------------------------
# The seller's memo is the buyer's only explanation for these: say what was adjusted.
MEMO_REQUIRED_REASONS = frozenset({Reason.GENERAL_ADJUSTMENT, Reason.PRICING_ERROR})


def seller_memo_required(reason: str) -> bool:
    return reason in MEMO_REQUIRED_REASONS


def no_inventory_limit() -> tuple[int, timedelta]:
    """
    How many "No inventory" cancellations of one listing, within how long, deactivate
    it (docs/DESIGN.md §3: two within 30 days). Read when asked, never
    at import time, so settings overrides apply.
    """
    return settings.NO_INVENTORY_DEACTIVATE_AFTER, timedelta(days=settings.NO_INVENTORY_WINDOW_DAYS)
