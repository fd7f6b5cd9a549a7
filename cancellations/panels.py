"""
The cancellation panels on the order pages (registered with ``orders.panels``), and what
the one on Seller Central's order page shows (Seller Central renders it).
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from orders import panels
from orders.models import Order
from payments import services as payments
from payments.models import PaymentTransaction

from .models import Cancellation, CancellationRequest
from .money import release_key
from .rules import (
    BuyerMode,
    buyer_mode,
    buyer_mode_of_open_order,
    direct_cancel_deadline,
    seller_can_cancel,
)
from .selectors import fetch_pending_requests, order_ids_with_pending_request


class MoneyReturn:
    """What became of a cancellation's money, as the buyer's panel words it."""

    NONE = "none"  # nothing was held or charged for it
    PENDING = "pending"
    RETURNED = "returned"
    FAILED = "failed"


def _money_returns(cancellations) -> None:
    """
    Set ``money_return`` on each cancellation from its void/refund rows (one query), so
    the page never says "returned" for money the gateway refused to move.
    """
    Status = PaymentTransaction.Status
    keys = {cancellation.pk: release_key(cancellation) for cancellation in cancellations}
    statuses = payments.release_statuses(idempotency_keys=list(keys.values()))
    for cancellation in cancellations:
        found = statuses[keys[cancellation.pk]]
        if Status.FAILED in found:
            cancellation.money_return = MoneyReturn.FAILED
        elif Status.PENDING in found:
            cancellation.money_return = MoneyReturn.PENDING
        elif found:
            cancellation.money_return = MoneyReturn.RETURNED
        else:
            cancellation.money_return = MoneyReturn.NONE


def _history(order):
    """The order's cancellations and requests, with their lines: a fixed number of queries."""
    cancellations = list(
        Cancellation.objects.filter(order=order)
        .select_related("request")
        .prefetch_related("lines__order_line")
    )
    _money_returns(cancellations)
    requests = list(
        CancellationRequest.objects.filter(order=order).prefetch_related("lines__order_line")
    )
    pending = next((r for r in requests if r.status == CancellationRequest.Status.PENDING), None)
    return cancellations, requests, pending


@panels.buyer_panel
def buyer_cancellation_panel(request, order) -> str:
    """
    The order's cancellations and requests, and "Cancel Items" while it may be used; first
    on the page while a request waits (the buyer may withdraw it), nothing when there is
    nothing to cancel and nothing was.
    """
    lines = list(order.lines.all())
    mode = buyer_mode(order, lines)
    cancellations, requests, pending = _history(order)
    # A pending request already asks the seller; a late order may still cancel now.
    can_cancel = mode == BuyerMode.DIRECT or (mode == BuyerMode.REQUEST and not pending)
    if not (can_cancel or cancellations or requests):
        return ""
    html = render_to_string(
        "cancellations/_buyer_panel.html",
        {
            "order": order,
            "mode": mode,
            "can_cancel": can_cancel,
            "direct_until": direct_cancel_deadline(order) if mode == BuyerMode.DIRECT else None,
            "pending": pending,
            "cancellations": cancellations,
            "requests": requests,
            "now": timezone.now(),
        },
        request=request,
    )
    return panels.needs_reader(html) if pending else html


def seller_panel_facts(order: Order) -> dict[str, Any]:
    """
    What the cancellation panel on Seller Central's order page shows: the buyer's pending
    request, the cancellations so far, and whether Cancel order and Cancel items are
    offered. Seller Central renders it, as its buttons are Seller Central's pages.
    """
    cancellations, _requests, pending = _history(order)
    return {
        "order": order,
        "pending": pending,
        "cancellations": cancellations,
        "can_cancel": seller_can_cancel(order, order.lines.all()),
    }


@panels.seller_row_mark
def pending_request_mark(orders) -> dict[int, str]:
    """The order list's mark on the rows whose buyer waits for an answer: one query."""
    flag = render_to_string("cancellations/_request_flag.html")
    return {order_id: flag for order_id in order_ids_with_pending_request(o.pk for o in orders)}


def _pending_requests(orders) -> dict[int, CancellationRequest]:
    """
    Order id → its pending request, for Your Orders' cards (at most one query a page,
    shared by the cards' note and their "Cancel Items"). Only an order past its quick-cancel
    window may have one: a request is filed in request mode, which an order leaves only by
    turning late or by shipping; the other orders are not asked about.
    """
    asking = [
        order
        for order in orders
        if buyer_mode_of_open_order(order) == BuyerMode.REQUEST
        or (order.awaiting_shipment and order.is_late())
    ]
    fetch_pending_requests(asking)
    return {
        order.pk: order.pending_cancellation_requests[0]
        for order in asking
        if order.pending_cancellation_requests
    }


@panels.buyer_card_note
def pending_request_note(orders) -> dict[int, str]:
    """The cards' "Cancellation requested on …": what the buyer asked, and until when."""
    return {
        order_id: render_to_string("cancellations/_card_request_note.html", {"pending": pending})
        for order_id, pending in _pending_requests(orders).items()
    }


@panels.buyer_card_action
def cancel_items_button(orders) -> dict[int, str]:
    """
    "Cancel Items" on the Your Orders cards of the orders the buyer may cancel, or ask
    the seller to cancel, as the order page's panel decides: while a request waits for
    the seller there is nothing more to ask (the card's note says so).
    """
    modes = {order.pk: buyer_mode_of_open_order(order) for order in orders}
    pending = _pending_requests(orders)
    return {
        order.pk: render_to_string("cancellations/_card_cancel_button.html", {"order": order})
        for order in orders
        if modes[order.pk] == BuyerMode.DIRECT
        or (modes[order.pk] == BuyerMode.REQUEST and order.pk not in pending)
    }
