"""The cancellation panels on the order pages (registered with ``orders.panels``)."""

from django.template.loader import render_to_string
from django.utils import timezone

from orders import panels

from .models import Cancellation, CancellationRequest
from .rules import BuyerMode, buyer_mode, direct_cancel_deadline


def _history(order):
    """The order's cancellations and requests, with their lines: a fixed number of queries."""
    cancellations = list(
        Cancellation.objects.filter(order=order).prefetch_related("lines__order_line")
    )
    requests = list(
        CancellationRequest.objects.filter(order=order).prefetch_related("lines__order_line")
    )
    pending = next((r for r in requests if r.status == CancellationRequest.Status.PENDING), None)
    return cancellations, requests, pending


@panels.buyer_panel
def buyer_cancellation_panel(request, order) -> str:
    lines = list(order.lines.all())
    mode = buyer_mode(order, lines)
    cancellations, requests, pending = _history(order)
    return render_to_string(
        "cancellations/_buyer_panel.html",
        {
            "order": order,
            "mode": mode,
            # A pending request already asks the seller; a late order may still cancel now.
            "can_cancel": mode == BuyerMode.DIRECT or (mode == BuyerMode.REQUEST and not pending),
            "direct_until": direct_cancel_deadline(order) if mode == BuyerMode.DIRECT else None,
            "pending": pending,
            "cancellations": cancellations,
            "requests": requests,
            "now": timezone.now(),
        },
        request=request,
    )


@panels.seller_panel
def seller_cancellation_panel(request, order) -> str:
    cancellations, _requests, pending = _history(order)
    return render_to_string(
        "cancellations/_seller_panel.html",
        {"order": order, "pending": pending, "cancellations": cancellations},
        request=request,
    )
