"""
What makes an order's cached card or row (``core.fragments``) change: its version and
every fact it shows that may move without it (docs/DESIGN.md §13).
"""

from core import pagecache
from core.formatting import format_placed, today_ends

from .models import Order


def order_facts(order: Order) -> tuple[object, ...]:
    """
    What an order's card or row shows that may change: its version (``updated_at`` moves
    with every status and line change), the fields an UPDATE could change without moving
    it (a data fix), what changes with time alone, and the money its payment returned.
    A page embedding the card is cached (core.pagecache) until its date text changes.
    """
    pagecache.expires(today_ends(order.placed_at))
    return (
        order.pk,
        order.updated_at.isoformat(),
        order.status,
        order.ship_by.isoformat(),
        order.is_late(),
        format_placed(order.placed_at),  # "Today, 7:05 PM" until midnight
        # A case's refund moves the total now without touching the order row.
        str(order.payment.amount_refunded),
        str(order.payment.amount_voided),
    )
