"""
Seller Central's own navigation, on every page of it (its own and ``catalog``'s
Inventory alike), and the bulk cancel's fields on its order list. The tags live in the
top app, so the Inventory's templates load them without catalog's code importing upwards.
"""

from dataclasses import dataclass
from typing import Any

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.safestring import SafeString

from cancellations.forms import BulkCancelForm
from core import fragments

register = template.Library()

# Seller Central's sections: name, label, URL name, and what its badge counts (the
# ``WaitingCounts`` field) with the badge's test id.
SECTIONS = [
    ("home", "Home", "sellercentral:home", None),
    ("orders", "Orders", "sellercentral:orders", None),
    ("requests", "Requests", "sellercentral:requests", ("requests", "request-badge")),
    ("messages", "Messages", "sellercentral:messages", ("messages", "message-badge")),
    ("returns", "Returns", "sellercentral:returns", ("returns", "return-badge")),
    ("inventory", "Inventory", "catalog:inventory", None),
    ("store", "Store", "sellercentral:store", None),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: str  # its aria-current: "page", "true" (a page inside it) or "" (elsewhere)
    waiting: int  # the badge's count (0: no badge)
    badge: str  # the badge's test id


@register.inclusion_tag("partials/seller_nav.html", takes_context=True)
def seller_nav(context: Context, current: str, within: bool = False) -> dict[str, Any]:
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
        template="sellercentral/_bulk_cancel_fields.html",
        name="bulk-cancel-fields",
        facts=(),  # the fields come from code alone: the key's code version is theirs
        context=lambda: {"form": BulkCancelForm()},
    )
