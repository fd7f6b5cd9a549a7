"""The Resolution Center panels on the order pages (registered with ``orders.panels``)."""

from django.template.loader import render_to_string

from orders import panels

from .selectors import cases_of_order


@panels.buyer_panel
def buyer_case_panel(request, order) -> str:
    """The order's cases and, while none is open and the order was paid, "Open a case"."""
    cases = cases_of_order(order)
    return render_to_string(
        "disputes/_order_panel.html",
        {
            "order": order,
            "cases": cases,
            "viewer": "buyer",
            "can_open": order.payment.is_authorized and not any(c.is_active for c in cases),
        },
        request=request,
    )


@panels.seller_panel
def seller_case_panel(request, order) -> str:
    """The order's cases, if the buyer opened any (nothing otherwise)."""
    cases = cases_of_order(order)
    if not cases:
        return ""
    return render_to_string(
        "disputes/_order_panel.html",
        {"order": order, "cases": cases, "viewer": "seller", "can_open": False},
        request=request,
    )
