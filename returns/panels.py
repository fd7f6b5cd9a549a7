"""
The returns panel on the buyer's order page, and the Your Orders cards' "Return items"
and return notes (registered with ``orders.panels``, as cancellations' are).
"""

from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from core import pagecache
from orders import panels
from orders.models import Order, OrderStatus

from . import rules, selectors
from .models import ReturnStatus

# An order may have returns, or may get them, only once something shipped.
SHIPPED_STATES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@panels.buyer_panel
def buyer_returns_panel(request, order: Order) -> str:
    """
    The order's returns and "Return items" while the window is open and units are left;
    on an order not delivered yet, or past its window, the sentence saying why not.
    Nothing on an order that has not shipped (Cancel Items is its panel).
    """
    if order.status not in SHIPPED_STATES:
        return ""
    lines = list(order.lines.all())
    returns = selectors.returns_of_order(order)
    now = timezone.now()
    deadline = rules.return_deadline(order)
    pagecache.expires(deadline)
    html = render_to_string(
        "returns/_buyer_panel.html",
        {
            "order": order,
            "returns": returns,
            "why_not": rules.why_not_return(order, lines, returns, now),
            "deadline": deadline,
            "window_closed": deadline is not None and now > deadline,
        },
        request=request,
    )
    waiting = any(r.status == ReturnStatus.AUTHORIZED for r in returns)  # to ship back
    return panels.needs_reader(html) if waiting else html


def _delivered_with_returns(orders) -> dict[int, tuple[Order, list]]:
    """
    The page's delivered orders, each with its returns: the only cards a return may be
    on. Read once for the page (its lines, deliveries and returns) and kept on the
    orders, which the card note and the card button both ask about.
    """
    delivered = [order for order in orders if order.status == OrderStatus.DELIVERED]
    fresh = [order for order in delivered if not hasattr(order, "card_returns")]
    if fresh:
        # What returnable units are counted from, and when each window closes.
        prefetch_related_objects(fresh, "lines")
        rules.prefetch_deliveries(fresh)
        found = selectors.returns_of_orders(fresh)
        for order in fresh:
            order.card_returns = found[order.pk]
    return {order.pk: (order, order.card_returns) for order in delivered}


@panels.buyer_card_note
def return_notes(orders) -> dict[int, str]:
    """The cards' "Return requested", "Return authorized: ship by …", "Refunded $x"."""
    notes: dict[int, str] = {}
    for order_id, (_order, returns) in _delivered_with_returns(orders).items():
        shown = [r for r in returns if r.status != ReturnStatus.CLOSED]
        if shown:
            notes[order_id] = render_to_string("returns/_card_note.html", {"returns": shown})
    return notes


@panels.buyer_card_action
def return_items_button(orders) -> dict[int, str]:
    """ "Return items" on the cards of delivered orders with units left to return in time."""
    now = timezone.now()
    buttons: dict[int, str] = {}
    for order_id, (order, returns) in _delivered_with_returns(orders).items():
        if rules.why_not_return(order, list(order.lines.all()), returns, now) is None:
            buttons[order_id] = render_to_string("returns/_card_button.html", {"order": order})
    return buttons
