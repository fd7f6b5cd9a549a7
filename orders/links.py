"""
Where a seller reads an order: Seller Central's order page. ``sellercentral`` serves it
and registers how to link to it in its ``AppConfig.ready`` (imports and URL names point
down, docs/DESIGN.md §12), so the emails, timeline and case pages of the apps below it
link sellers there through ``Order.get_seller_url`` without naming its URL.

    links.seller_order_page(lambda number: reverse("sellercentral:order", args=[number]))
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

OrderUrl = Callable[[str], str]
_seller_order_page: list[OrderUrl] = []


def seller_order_page(function: OrderUrl) -> OrderUrl:
    """Register the seller's order page (its URL from the order's number); one only."""
    _seller_order_page[:] = [function]
    return function


def seller_order_url(number: str) -> str:
    """The seller's page of the order numbered ``number``."""
    if not _seller_order_page:
        raise ImproperlyConfigured("No installed app serves the seller's order page.")
    return _seller_order_page[0](number)
