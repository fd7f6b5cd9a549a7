"""
Panels that apps above ``orders`` add to the order pages, without ``orders``
importing them (imports point down). ``cancellations`` registers the "Cancel Items"
panel this way; the order page renders whatever is registered.

    @panels.buyer_panel
    def cancel_items_panel(request, order) -> str: ...  # HTML, or "" for nothing

A panel that waits on its reader (a request to answer, a case to reply to) returns
its HTML wrapped in ``needs_reader``: the page shows those before the others.

Marks on Seller Central's order rows, and notes and actions on Your Orders' cards, work
the same way: a registered function takes a page of orders and returns {order id: HTML}
for the orders it marks ("Cancellation requested", the cards' note of a pending request
and their "Cancel Items" come from ``cancellations``).
"""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str]
_buyer_panels: list[Panel] = []
_seller_panels: list[Panel] = []
RowMark = Callable[[list], dict[int, str]]
_seller_row_marks: list[RowMark] = []
_buyer_card_actions: list[RowMark] = []
_buyer_card_notes: list[RowMark] = []


class NeedsReader(SafeString):
    """A panel's HTML that asks something of its reader, or waits on them: shown first."""


def needs_reader(html: str) -> NeedsReader:
    return NeedsReader(html)


def buyer_panel(function: Panel) -> Panel:
    _buyer_panels.append(function)
    return function


def seller_panel(function: Panel) -> Panel:
    _seller_panels.append(function)
    return function


def seller_row_mark(function: RowMark) -> RowMark:
    _seller_row_marks.append(function)
    return function


def buyer_card_action(function: RowMark) -> RowMark:
    _buyer_card_actions.append(function)
    return function


def buyer_card_note(function: RowMark) -> RowMark:
    _buyer_card_notes.append(function)
    return function


def render_buyer_panels(request, order) -> SafeString:
    return _reader_first([panel(request, order) for panel in _buyer_panels])


def render_seller_panels(request, order) -> SafeString:
    return _reader_first([panel(request, order) for panel in _seller_panels])


def _reader_first(rendered: list[str]) -> SafeString:
    """The panels in their registered order, those waiting on the reader moved first."""
    waiting = [html for html in rendered if isinstance(html, NeedsReader)]
    others = [html for html in rendered if not isinstance(html, NeedsReader)]
    return mark_safe("".join(waiting + others))  # noqa: S308


def seller_row_marks(orders: list) -> dict[int, SafeString]:
    """Each marked order's id → the HTML of its marks (unmarked orders are left out)."""
    return _collect(_seller_row_marks, orders)


def buyer_card_actions(orders: list) -> dict[int, SafeString]:
    """Each order's id → the HTML of the actions on its Your Orders card (none left out)."""
    return _collect(_buyer_card_actions, orders)


def buyer_card_notes(orders: list) -> dict[int, SafeString]:
    """Each noted order's id → the HTML its Your Orders card shows of what is pending."""
    return _collect(_buyer_card_notes, orders)


def _collect(functions: list[RowMark], orders: list) -> dict[int, SafeString]:
    found: dict[int, str] = {}
    for function in functions:
        for order_id, html in function(orders).items():
            found[order_id] = found.get(order_id, "") + html
    return {order_id: mark_safe(html) for order_id, html in found.items()}  # noqa: S308
