"""
The cancellation emails, one function per occasion, each queuing the buyer's and (where the
seller is told too) the seller's email through the outbox in the caller's transaction. The
services and jobs say what happened; the templates under ``cancellations/emails/`` say it.
"""

from django.conf import settings

from accounts.emails import queue_email_to
from orders.models import ActorRole, Order, OrderLine, OrderStatus

from .events import CANCELLED_BY_FOR_BUYER
from .models import Cancellation, CancellationRequest, Reason

TEMPLATES = "cancellations/emails"


def items_cancelled(
    cancellation: Cancellation, *, chosen: dict[OrderLine, int], money: str
) -> None:
    """Units were cancelled (``chosen``: line → units); ``money`` is the buyer's money sentence."""
    order, request = cancellation.order, cancellation.request
    context = {
        "order": order,
        "cancellation": cancellation,
        "request": request,
        "reason": Reason(request.reason if request else cancellation.reason).label,
        "chosen": list(chosen.items()),
        "refund": cancellation.refund_amount,
        "who": CANCELLED_BY_FOR_BUYER[ActorRole(cancellation.initiator)],
        "money": money,
        "order_cancelled": order.status == OrderStatus.CANCELLED,
    }
    _to_both(order, "items_cancelled", context)


def request_opened(
    cancellation_request: CancellationRequest, *, chosen: dict[OrderLine, int]
) -> None:
    context = {
        "order": cancellation_request.order,
        "request": cancellation_request,
        "chosen": list(chosen.items()),
        "due": cancellation_request.response_due_at(),
    }
    _to_both(cancellation_request.order, "cancellation_requested", context, seller_first=True)


def request_withdrawn(cancellation_request: CancellationRequest, lines: list[OrderLine]) -> None:
    context = _request_context(cancellation_request, lines)
    _to_both(cancellation_request.order, "request_withdrawn", context, seller_first=True)


def request_declined(cancellation_request: CancellationRequest, lines: list[OrderLine]) -> None:
    """Only the buyer is told: the seller is the one who declined."""
    queue_email_to(
        cancellation_request.order.buyer,
        template=f"{TEMPLATES}/request_declined",
        context=_request_context(cancellation_request, lines),
    )


def request_closed(cancellation_request: CancellationRequest, lines: list[OrderLine]) -> None:
    """The request deadline passed after some of the items shipped: both are told."""
    context = {
        **_request_context(cancellation_request, lines),
        "hours": settings.CANCELLATION_REQUEST_RESPONSE_HOURS,
    }
    _to_both(cancellation_request.order, "request_closed", context)


def requested_items(
    cancellation_request: CancellationRequest, lines: list[OrderLine]
) -> list[tuple[OrderLine, int]]:
    """(line, units) the request asks about, from the order's locked lines."""
    by_id = {line.pk: line for line in lines}
    return [
        (by_id[request_line.order_line_id], request_line.quantity)
        for request_line in cancellation_request.lines.all()
    ]


def _request_context(
    cancellation_request: CancellationRequest, lines: list[OrderLine]
) -> dict[str, object]:
    return {
        "order": cancellation_request.order,
        "request": cancellation_request,
        "chosen": requested_items(cancellation_request, lines),
    }


def _to_both(
    order: Order, name: str, context: dict[str, object], *, seller_first: bool = False
) -> None:
    """The buyer's ``<name>`` and the seller's ``<name>_seller``, from the same context."""
    emails = [
        (order.buyer, f"{TEMPLATES}/{name}"),
        (order.seller.user, f"{TEMPLATES}/{name}_seller"),
    ]
    for person, template in reversed(emails) if seller_first else emails:
        queue_email_to(person, template=template, context=context)
