"""The Resolution Center panels on the order pages (registered with ``orders.panels``)."""

from django.template.loader import render_to_string

from orders import panels
from orders.models import ActorRole

from .selectors import cases_of_order


@panels.buyer_panel
def buyer_case_panel(request, order) -> str:
    """
    The order's cases and, while none is open and the order was paid, "Open a case";
    first on the page while a case waits for the buyer's answer, nothing when there is
    no case and none may be opened.
    """
    cases = cases_of_order(order)
    can_open = order.payment.is_authorized and not any(c.is_active for c in cases)
    if not (cases or can_open):
        return ""
    html = render_to_string(
        "disputes/_order_panel.html",
        {"order": order, "cases": cases, "viewer": ActorRole.BUYER, "can_open": can_open},
        request=request,
    )
    return panels.needs_reader(html) if any(case.awaits_buyer for case in cases) else html


@panels.seller_panel
def seller_case_panel(request, order) -> str:
    """The order's cases, if the buyer opened any (nothing otherwise)."""
    cases = cases_of_order(order)
    if not cases:
        return ""
    return render_to_string(
        "disputes/_order_panel.html",
        {"order": order, "cases": cases, "viewer": ActorRole.SELLER, "can_open": False},
        request=request,
    )
