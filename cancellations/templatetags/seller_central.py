"""
What Seller Central's order list (an ``orders`` page) shows of cancellations: which
orders wait for an answer, and the bulk cancel controls. A template tag keeps the
imports pointing down: ``orders`` never imports ``cancellations``.
"""

from django import template

from ..forms import BulkCancelForm
from ..selectors import order_ids_with_pending_request

register = template.Library()


@register.simple_tag
def pending_request_ids(orders) -> set[int]:
    """The ids of these orders (a page of the list) with a pending request: one query."""
    return order_ids_with_pending_request(order.pk for order in orders)


@register.simple_tag
def bulk_cancel_form() -> BulkCancelForm:
    return BulkCancelForm()
