"""
Who may return what, when, and on what terms (docs/DESIGN.md §19). Pure functions of an
order, its lines and its returns, so the page that offers "Return items" and the service
that acts under the lock ask the very same question.

- Window: ``RETURN_WINDOW_DAYS`` after delivery. Only a delivered order's units return;
  units that never shipped are cancelled, not returned.
- Fault follows from the reason: the seller's (free return shipping, full refund) or the
  buyer's remorse (the buyer pays the parcel back; a restocking fee is allowed).
- Restocking fee: at most ``RESTOCKING_FEE_MAX_PERCENT`` of the units' price, for the
  buyer's remorse only and only when the buyer says the item was opened (a late return
  cannot arise: one not shipped back by its deadline is closed). Stated before confirming.
- Returnless refund: a store may refund returns worth less than its threshold at once.
- Deadlines (the beat jobs): an unanswered request is authorized after
  ``RETURN_RESPONSE_HOURS``; an authorized return not shipped back within
  ``RETURN_SHIP_BACK_DAYS`` closes; one delivered back and not marked received within
  ``RETURN_RECEIVE_DAYS`` is refunded in full.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from catalog.models import Seller
from core import pagecache
from orders.models import Order, OrderEvent, OrderLine, OrderStatus

from .models import SELLER_FAULT_REASONS, ZERO, ReturnReason, ReturnRequest, ReturnStatus

CENT = Decimal("0.01")


# Where ``prefetch_deliveries`` leaves each order's delivery events (a page of orders).
DELIVERIES = "delivery_events"


def prefetch_deliveries(orders: Iterable[Order]) -> None:
    """Read the delivery of every order at once, so ``delivered_at`` asks nothing more."""
    prefetch_related_objects(
        list(orders),
        Prefetch(
            "events",
            queryset=OrderEvent.objects.filter(type=OrderEvent.Type.DELIVERED),
            to_attr=DELIVERIES,
        ),
    )


def delivered_at(order: Order) -> datetime | None:
    """When the order was delivered (its timeline's delivery), None before."""
    if order.status != OrderStatus.DELIVERED:
        return None
    if hasattr(order, DELIVERIES):
        return min((event.created_at for event in getattr(order, DELIVERIES)), default=None)
    event = order.events.filter(type=OrderEvent.Type.DELIVERED).order_by("created_at").first()
    return event.created_at if event else None


def return_deadline(order: Order) -> datetime | None:
    """The last moment a return may be asked for; None while the order is not delivered."""
    delivered = delivered_at(order)
    return delivered + timedelta(days=settings.RETURN_WINDOW_DAYS) if delivered else None


def returnable_units(
    lines: Iterable[OrderLine], returns: Iterable[ReturnRequest]
) -> dict[int, int]:
    """
    Order line id → units that may still be returned: shipped, less units in returns
    that are not closed (a closed return gives its units back to ask again).
    """
    taken: dict[int, int] = {}
    for return_request in returns:
        if return_request.status == ReturnStatus.CLOSED:
            continue
        for return_line in return_request.lines.all():
            taken[return_line.order_line_id] = (
                taken.get(return_line.order_line_id, 0) + return_line.quantity
            )
    return {line.pk: max(line.quantity_shipped - taken.get(line.pk, 0), 0) for line in lines}


def why_not_return(
    order: Order,
    lines: Iterable[OrderLine],
    returns: Iterable[ReturnRequest],
    now: datetime | None = None,
) -> str | None:
    """Why the buyer may not ask for a return now (the sentence a page shows), or None."""
    lines = list(lines)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED):
        return "You can return items once they are delivered."
    deadline = return_deadline(order)
    if deadline is None:
        return "Only delivered items can be returned."
    pagecache.expires(deadline)
    if (now or timezone.now()) > deadline:
        return f"The return window closed {settings.RETURN_WINDOW_DAYS} days after delivery."
    if not any(returnable_units(lines, returns).values()):
        return "Every item of this order has been returned or is being returned."
    return None


def is_seller_fault(reason: str) -> bool:
    return reason in SELLER_FAULT_REASONS


def needs_note(reason: str) -> bool:
    """ "Not as described" must say how: the seller and staff need it."""
    return reason == ReturnReason.NOT_AS_DESCRIBED


def max_restocking_fee(*, reason: str, opened: bool, item_value: Decimal) -> Decimal:
    """The most the seller may deduct: a share of the value for an opened item bought in error."""
    if is_seller_fault(reason) or not opened:
        return ZERO
    share: Decimal = item_value * settings.RESTOCKING_FEE_MAX_PERCENT / 100
    return share.quantize(CENT)


def is_returnless(seller: Seller, item_value: Decimal) -> bool:
    """Whether the store refunds this return without asking for the item back."""
    threshold = seller.returnless_refund_under
    return threshold is not None and item_value < threshold


def respond_by(requested_at: datetime) -> datetime:
    return requested_at + timedelta(hours=settings.RETURN_RESPONSE_HOURS)


def ship_back_by(authorized_at: datetime) -> datetime:
    return authorized_at + timedelta(days=settings.RETURN_SHIP_BACK_DAYS)


def receive_by(delivered_back_at: datetime) -> datetime:
    return delivered_back_at + timedelta(days=settings.RETURN_RECEIVE_DAYS)


def answered_late(return_request: ReturnRequest) -> bool:
    """Account health: the system authorized it, or the seller answered after the deadline."""
    if return_request.authorized_by == "system":
        return True
    answered = return_request.authorized_at or (
        return_request.closed_at if return_request.close_reason else None
    )
    return answered is not None and answered > return_request.respond_by
