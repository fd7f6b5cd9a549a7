"""
The return emails, one function per step, each queuing the buyer's and (where the seller
is told) the seller's email through the outbox in the caller's transaction. The services
and jobs say what happened; the templates under ``returns/emails/`` say it, each to its
reader: the buyer reads "your return", the seller "the buyer's return".

Who is told what (docs/DESIGN.md §19):

| step | buyer | seller |
|---|---|---|
| requested | the return number and what happens next | a new return to answer by ``respond_by`` |
| returnless refund | refunded, keep the item | refunded without the item back |
| authorized | where to send it, by when, the number to write | only when the system authorized it |
| closed | why, and the case they may open | when the buyer withdrew it or it was not shipped back |
| shipped back | (they entered the tracking themselves) | the parcel is on its way, with tracking |
| refunded | the amount, less any restocking fee | only when the system refunded it |
"""

from django.conf import settings

from accounts.emails import queue_email_to
from orders.models import ActorRole

from .models import SELLER_CLOSE_REASONS, CloseReason, ReturnRequest

TEMPLATES = "returns/emails"


def return_requested(return_request: ReturnRequest) -> None:
    """The buyer asked to return items: the seller is asked to answer, the buyer told what
    comes next. (A returnless return is refunded at once: ``return_refunded`` tells it.)"""
    _to_both(
        return_request,
        "return_requested",
        seller_first=True,
        hours=settings.RETURN_RESPONSE_HOURS,
    )


def return_authorized(return_request: ReturnRequest) -> None:
    """
    The buyer learns where to send the parcel and by when. The seller, who authorized
    it, is told only when the system did it for them (their answer was late).
    """
    automatic = return_request.authorized_by == ActorRole.SYSTEM
    context = _context(return_request, automatic=automatic)
    _queue(return_request, "return_authorized", context)
    if automatic:
        _queue(return_request, "return_authorized_seller", context, seller=True)


def return_closed(return_request: ReturnRequest) -> None:
    """
    The buyer learns why, and may open a case when the seller refused the return. The
    seller, who refused it, is told only when the buyer withdrew it or the system closed it.
    """
    refused = return_request.close_reason in SELLER_CLOSE_REASONS
    context = _context(
        return_request,
        refused=refused,
        withdrawn=return_request.close_reason == CloseReason.WITHDRAWN,
        not_shipped_back=return_request.close_reason == CloseReason.NOT_SHIPPED_BACK,
    )
    _queue(return_request, "return_closed", context)
    if not refused:
        _queue(return_request, "return_closed_seller", context, seller=True)


def return_shipped_back(return_request: ReturnRequest) -> None:
    """The buyer entered (or corrected) the tracking: the seller watches for the parcel."""
    context = _context(return_request, receive_days=settings.RETURN_RECEIVE_DAYS)
    _queue(return_request, "return_shipped_back_seller", context, seller=True)


def return_refunded(return_request: ReturnRequest) -> None:
    """
    The buyer learns what came back and what, if anything, was kept. The seller, who
    marked it received, is told only when the system refunded it for them. A returnless
    return is refunded as it is asked: both learn that nothing is sent back.
    """
    if return_request.returnless:
        _to_both(return_request, "returnless_refunded", seller_first=True)
        return
    automatic = return_request.received_by == ActorRole.SYSTEM
    context = _context(
        return_request, automatic=automatic, receive_days=settings.RETURN_RECEIVE_DAYS
    )
    _queue(return_request, "return_refunded", context)
    if automatic:
        _queue(return_request, "return_refunded_seller", context, seller=True)


# --- Helpers ------------------------------------------------------------------------------------
def _context(return_request: ReturnRequest, **extra: object) -> dict[str, object]:
    order = return_request.order
    return {
        "order": order,
        "rma": return_request,
        "chosen": [(line.order_line, line.quantity) for line in return_request.lines.all()],
        "seller_pays_shipping": return_request.return_shipping_paid_by == "seller",
        "settlement_days": settings.REFUND_SETTLEMENT_DAYS,
        **extra,
    }


def _queue(
    return_request: ReturnRequest, name: str, context: dict[str, object], *, seller: bool = False
) -> None:
    order = return_request.order
    person = order.seller.user if seller else order.buyer
    queue_email_to(person, template=f"{TEMPLATES}/{name}", context=context)


def _to_both(
    return_request: ReturnRequest, name: str, *, seller_first: bool = False, **extra: object
) -> None:
    """The buyer's ``<name>`` and the seller's ``<name>_seller``, from the same context."""
    context = _context(return_request, **extra)
    emails = [(name, False), (f"{name}_seller", True)]
    for template, seller in reversed(emails) if seller_first else emails:
        _queue(return_request, template, context, seller=seller)
