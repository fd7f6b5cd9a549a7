"""
Seller Central's own navigation, on every page of it (``cancellations``, ``orders``
and ``catalog`` pages alike), and what its order list (an ``orders`` page) shows of
cancellations beyond its rows' marks (``cancellations.panels``): the bulk cancel
controls. A template tag keeps the imports pointing down: ``orders`` never imports
``cancellations``.
"""

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from core import fragments

from ..forms import BulkCancelForm

register = template.Library()

# Seller Central's sections: name, label, URL name, and what its badge counts (the
# ``WaitingCounts`` field) with the badge's test id.
SECTIONS = [
    ("home", "Home", "cancellations:seller_home", None),
    ("orders", "Orders", "orders:seller_orders", None),
    ("requests", "Requests", "cancellations:seller_requests", ("requests", "request-badge")),
    ("messages", "Messages", "orders:seller_messages", ("messages", "message-badge")),
    ("inventory", "Inventory", "catalog:inventory", None),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: str  # its aria-current: "page", "true" (a page inside it) or "" (elsewhere)
    waiting: int  # the badge's count (0: no badge)
    badge: str  # the badge's test id


@register.inclusion_tag("partials/seller_nav.html", takes_context=True)
def seller_nav(context, current: str, within: bool = False) -> dict:
    """
    The sub-navigation, ``current`` section marked: as the page itself, or, ``within``
    it (an order's page is in Orders), as the current section. The badges read the
    counts the roles context processor fetched for the main nav (no more queries).
    """
    waiting = context.get("waiting")
    items = [
        NavItem(
            label=label,
            url=reverse(url_name),
            current=("true" if within else "page") if name == current else "",
            waiting=getattr(waiting, badge[0], 0) if badge else 0,
            badge=badge[1] if badge else "",
        )
        for name, label, url_name, badge in SECTIONS
    ]
    return {"store_name": context["user"].seller.store_name, "items": items}


@register.simple_tag
def bulk_cancel_fields() -> SafeString:
    """The bulk cancel's reason and memo fields: the same for every seller, so cached."""
    return fragments.render_one(
        template="cancellations/_bulk_cancel_fields.html",
        name="bulk-cancel-fields",
        facts=(),  # the fields come from code alone: the key's code version is theirs
        context=lambda: {"form": BulkCancelForm()},
    )
