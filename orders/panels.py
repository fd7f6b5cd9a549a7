"""
Panels that apps above ``orders`` add to the order pages, without ``orders``
importing them (imports point down). ``cancellations`` registers the "Cancel Items"
panel this way; the order page renders whatever is registered.

    @panels.buyer_panel
    def cancel_items_panel(request, order) -> str: ...  # HTML, or "" for nothing

Marks on Seller Central's order rows work the same way: a registered function takes a
page of orders and returns {order id: HTML} for the rows it marks ("Cancellation
requested" comes from ``cancellations``).
"""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str]
_buyer_panels: list[Panel] = []
_seller_panels: list[Panel] = []
RowMark = Callable[[list], dict[int, str]]
_seller_row_marks: list[RowMark] = []


def buyer_panel(function: Panel) -> Panel:
    _buyer_panels.append(function)
    return function


def seller_panel(function: Panel) -> Panel:
    _seller_panels.append(function)
    return function


def seller_row_mark(function: RowMark) -> RowMark:
    _seller_row_marks.append(function)
    return function


def render_buyer_panels(request, order) -> SafeString:
    return mark_safe("".join(panel(request, order) for panel in _buyer_panels))  # noqa: S308


def render_seller_panels(request, order) -> SafeString:
    return mark_safe("".join(panel(request, order) for panel in _seller_panels))  # noqa: S308


def seller_row_marks(orders: list) -> dict[int, SafeString]:
    """Each marked order's id → the HTML of its marks (unmarked orders are left out)."""
    marks: dict[int, str] = {}
    for function in _seller_row_marks:
        for order_id, html in function(orders).items():
            marks[order_id] = marks.get(order_id, "") + html
    return {order_id: mark_safe(html) for order_id, html in marks.items()}  # noqa: S308
